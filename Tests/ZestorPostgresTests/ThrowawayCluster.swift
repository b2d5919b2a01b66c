import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL cluster of one test's own, run by `Scripts/postgres.sh` with a private state file,
/// so the test may restart it without disturbing the shared cluster other tests use concurrently.
///
/// The script runs through `posix_spawn` with its output redirected to files (never pipes: the
/// server it starts must not inherit a pipe the test waits on) and is reaped with `waitpid` on a
/// dedicated thread, never on the cooperative pool.
struct ThrowawayCluster: Sendable {
    /// The repository root, found from this file's path (`Tests/ZestorPostgresTests/…`).
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    let stateFile: String
    let url: String

    /// Starts a new cluster (initdb, start, createdb); takes a few seconds. With `durable`, the
    /// server keeps PostgreSQL's durable defaults (`fsync=on`, `synchronous_commit=on`), so a
    /// ``crash()`` loses nothing it acknowledged.
    static func start(durable: Bool = false) async throws -> ThrowawayCluster {
        let stateFile = FileManager.default.temporaryDirectory
            .appendingPathComponent("zestor-restart-test-\(UUID().uuidString).state").path
        let output = try await runScript("start", stateFile: stateFile, fsync: durable ? "on" : "off")
        guard let url = output.split(separator: "\n").last.map(String.init), url.hasPrefix("postgres://") else {
            throw ScriptFailure(command: "start", status: 0, output: output)
        }
        return ThrowawayCluster(stateFile: stateFile, url: url)
    }

    /// Restarts the server on the same port (`pg_ctl restart -m fast`): every connection drops.
    func restart() async throws {
        _ = try await Self.runScript("restart", stateFile: stateFile)
    }

    /// Crashes the server (`pg_ctl stop -m immediate`: every process killed, no checkpoint) and
    /// starts it again on the same port after about a second, through crash recovery.
    func crash() async throws {
        _ = try await Self.runScript("crash", stateFile: stateFile)
    }

    /// Starts ``restart()`` in the background, so a test can keep its traffic flowing meanwhile.
    func restartInBackground() -> BackgroundRestart {
        BackgroundRestart(self)
    }

    /// Stops the server and deletes its directory.
    func stop() async throws {
        _ = try await Self.runScript("stop", stateFile: stateFile)
    }

    /// A restart running in the background (``restartInBackground()``).
    struct BackgroundRestart: Sendable {
        private final class Flag: Sendable {
            let done = Atomic(false)
        }

        private let flag: Flag
        private let task: Task<Void, any Error>

        fileprivate init(_ cluster: ThrowawayCluster) {
            let flag = Flag()
            self.flag = flag
            task = Task {
                try await cluster.restart()
                flag.done.store(true, ordering: .releasing)
            }
        }

        /// Whether the server is back.
        var isDone: Bool { flag.done.load(ordering: .acquiring) }

        /// Waits for the restart to end; throws when it failed.
        func wait() async throws { try await task.value }
    }

    struct ScriptFailure: Error, CustomStringConvertible {
        let command: String
        let status: Int32
        let output: String
        var description: String { "Scripts/postgres.sh \(command) failed (status \(status)): \(output)" }
    }

    /// Runs `Scripts/postgres.sh <command>` and returns its standard output; throws with its
    /// standard error when it exits non-zero.
    private static func runScript(_ command: String, stateFile: String, fsync: String = "off") async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try runBlocking(command, stateFile: stateFile, fsync: fsync) })
            }
            thread.name = "zestor.tests.postgres-script"
            thread.start()
        }
    }

    private static func runBlocking(_ command: String, stateFile: String, fsync: String) throws -> String {
        let script = repository.appendingPathComponent("Scripts/postgres.sh").path
        let outFile = stateFile + ".\(command).out"
        let errFile = stateFile + ".\(command).err"
        defer {
            unlink(outFile)
            unlink(errFile)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outFile, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errFile, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

        var environment = ProcessInfo.processInfo.environment
        environment["ZESTOR_PG_STATE"] = stateFile
        environment["ZESTOR_PG_FSYNC"] = fsync  // read by `start` only; later commands use the recorded one
        let arguments = ["/bin/bash", script, command]
        let environmentStrings = environment.map { "\($0.key)=\($0.value)" }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environmentStrings.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/bash", &actions, nil, argv, envp)
        guard spawned == 0 else {
            throw ScriptFailure(command: command, status: spawned, output: "posix_spawn: \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let output = (try? String(contentsOfFile: outFile, encoding: .utf8)) ?? ""
        let exited = (status & 0x7f) == 0
        let exitCode = (status >> 8) & 0xff
        guard exited && exitCode == 0 else {
            let errors = (try? String(contentsOfFile: errFile, encoding: .utf8)) ?? ""
            throw ScriptFailure(command: command, status: exited ? exitCode : -(status & 0x7f), output: errors)
        }
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
