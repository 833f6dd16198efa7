@testable import Baton
import Testing

/// Keys Baton gives bad records (`line:N`, `FILE:line:N`) are refused as record keys: a record
/// keyed so would take a bad record's key, and the bad record would vanish.
@Suite("record keys shaped like bad-record keys")
struct RecordKeyingTests {
    @Test(arguments: ["line:1", "line:42", "data.jsonl:line:7", "a:b:line:0", "x:line:123456789"])
    func badRecordKeysAreRecognised(_ key: String) {
        #expect(RecordKeying.isBadRecordKey(key))
        #expect(RecordKeying.storageProblem(payload: "{}", key: key)?.contains("line:N") == true)
    }

    @Test(arguments: ["", "line:", "line:x", "line:1a", "xline:1", "line:1line:2", "1", "lines:3", "líne:1", "line:١", "é:line:"])
    func otherKeysAreNot(_ key: String) {
        #expect(!RecordKeying.isBadRecordKey(key))
    }

    @Test func aMultiByteCharacterBeforeTheMarkerIsReadByteByByte() {
        #expect(RecordKeying.isBadRecordKey("é:line:5"))
        #expect(!RecordKeying.isBadRecordKey("éline:5"))
    }
}
