internal import CJQ

/// Conversions between libjq's `jv` values and Swift. Every function documents who frees.
enum JV {
    /// Parses JSON text. Returns a valid jv (caller frees) or throws.
    static func parse(_ text: String) throws -> jv {
        var text = text
        let value = text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                guard let base = chars.baseAddress else { return jv_parse("") }
                return jv_parse_sized(base, Int32(chars.count))
            }
        }
        if jv_is_valid(value) != 0 { return value }
        let message = jv_invalid_get_msg(value)
        defer { jv_free(message) }
        let detail = jv_get_kind(message) == JV_KIND_STRING ? String(cString: jv_string_value(message)) : "not JSON"
        // jq echoes the whole input ("… (while parsing '…')"): keep its diagnosis only.
        let diagnosis = detail.range(of: " (while parsing").map { String(detail[..<$0.lowerBound]) } ?? detail
        throw JQError(kind: .invalidJSON, message: String(diagnosis.prefix(300)))
    }

    /// Compact JSON text of a value (borrowed, not freed).
    static func dump(_ value: jv) -> String {
        let dumped = jv_dump_string(jv_copy(value), 0)
        defer { jv_free(dumped) }
        return String(cString: jv_string_value(dumped))
    }

    /// Text of a message value passed to an error callback (consumed).
    static func text(of message: jv) -> String {
        defer { jv_free(message) }
        if jv_get_kind(message) == JV_KIND_STRING { return String(cString: jv_string_value(message)) }
        return dump(message)
    }

    /// Converts a jv (borrowed) into a ``JSON`` value.
    static func json(of value: jv) -> JSON {
        switch jv_get_kind(value) {
        case JV_KIND_NULL: return .null
        case JV_KIND_TRUE: return .bool(true)
        case JV_KIND_FALSE: return .bool(false)
        case JV_KIND_NUMBER: return .number(jv_number_value(value))
        case JV_KIND_STRING:
            let length = Int(jv_string_length_bytes(jv_copy(value)))
            let pointer = jv_string_value(value)!
            return .string(pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
                String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
            })
        case JV_KIND_ARRAY:
            let count = Int(jv_array_length(jv_copy(value)))
            var elements: [JSON] = []
            elements.reserveCapacity(count)
            for index in 0..<count {
                let element = jv_array_get(jv_copy(value), Int32(index))
                elements.append(json(of: element))
                jv_free(element)
            }
            return .array(elements)
        case JV_KIND_OBJECT:
            var members: [(String, JSON)] = []
            var iterator = jv_object_iter(value)
            while jv_object_iter_valid(value, iterator) != 0 {
                let key = jv_object_iter_key(value, iterator)
                let member = jv_object_iter_value(value, iterator)
                members.append((String(cString: jv_string_value(key)), json(of: member)))
                jv_free(key)
                jv_free(member)
                iterator = jv_object_iter_next(value, iterator)
            }
            return .object(members)
        default:
            return .null
        }
    }

    /// Builds a jv (caller frees) from a ``JSON`` value.
    static func make(_ value: JSON) -> jv {
        switch value {
        case .null: return jv_null()
        case .bool(let flag): return jv_bool(flag ? 1 : 0)
        case .number(let number): return jv_number(number)
        case .string(let text):
            var text = text
            return text.withUTF8 { bytes in
                bytes.withMemoryRebound(to: CChar.self) { chars in
                    guard let base = chars.baseAddress else { return jv_string("") }
                    return jv_string_sized(base, Int32(chars.count))
                }
            }
        case .array(let elements):
            var array = jv_array()
            for element in elements { array = jv_array_append(array, make(element)) }
            return array
        case .object(let members):
            var object = jv_object()
            for (key, member) in members { object = jv_object_set(object, make(.string(key)), make(member)) }
            return object
        }
    }
}
