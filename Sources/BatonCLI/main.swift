// The `baton` executable. All exit codes are decided in ExitStatus.swift.
await BatonMain.main()
