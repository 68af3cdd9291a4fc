import IBTransport
import Testing

/// Runs each test case on a thread of its own instead of the shared cooperative pool.
///
/// Integration tests wait on ibsim, opensm and the diag tools with blocking calls, tens of seconds at a time.
/// On the pool (two threads on a two-core machine) two such tests left nothing for the async tests, whose
/// daemons then missed their deadlines. On a thread of their own they block only that thread. Put it on a
/// suite and it covers every test in it.
public struct OwnThreadTrait: TestTrait, SuiteTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        guard testCase != nil else { return try await function() }
        let thread = ThreadExecutor(name: "test-case")
        defer { thread.stop() }
        try await withTaskExecutorPreference(thread) { try await function() }
    }
}

extension Trait where Self == OwnThreadTrait {
    /// Each test case runs on a thread of its own (see `OwnThreadTrait`).
    public static var ownThread: Self { OwnThreadTrait() }
}
