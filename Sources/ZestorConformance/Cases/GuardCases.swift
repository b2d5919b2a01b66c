import Zestor

extension CaseContext {
    func cancelledTask() async throws {
        try await withStore { store in
            let kind = "things"
            let original = ConformanceValue("x", 1), changed = ConformanceValue("changed", 2)
            try await store.set(kind, "k", original)

            try await expectCancelled("get") { try await store.get(kind, "k") }
            try await expectCancelled("list") { try await store.list(kind) }
            try await expectCancelled("filtered list") { try await store.list(kind, where: { _, _ in true }) }
            try await expectCancelled("count") { try await store.count(kind) }
            try await expectCancelled("keys") { try await store.keys(kind) }
            try await expectCancelled("values") { try await store.values(kind) }
            try await expectCancelled("getAll") { try await store.getAll() }

            try await expectCancelled("set of a new key") { try await store.set(kind, "new", changed) }
            try expectEqual(await store.get(kind, "new"), nil, "a key set from a cancelled task")
            try await expectCancelled("set of an existing key") { try await store.set(kind, "k", changed) }
            try await expectCancelled("update") { try await store.update(kind, "k") { $0 = ConformanceValue("changed", 2) } }
            try await expectCancelled("setMany") { try await store.setMany(kind, ["k": changed, "new": changed]) }
            try await expectCancelled("delete") { try await store.delete(kind, "k") }
            try expectEqual(await store.list(kind), ["k": original], "the kind after writes from cancelled tasks")

            try await expectCancelled("watch") { try await store.watch(kind) }
            try await expectCancelled("watch with replay") {
                try await store.watch(kind, options: WatchOptions(initialReplay: true))
            }
            try await expectCancelled("close") { try await store.close() }
            try expectEqual(await store.set(kind, "after", original), .created,
                                  "set after a close from a cancelled task (the store must still be open)")
        }
    }

    /// Runs `operation` in a cancelled task and checks it throws `CancellationError`.
    private func expectCancelled<T: Sendable>(_ what: String, _ operation: @escaping @Sendable () async throws -> T) async throws {
        let outcome = try await inCancelledTask("\(what) in a cancelled task", operation)
        switch outcome {
        case .failure(let error) where error is CancellationError:
            return
        case .failure(let error):
            throw fail("\(what) in a cancelled task to throw CancellationError", saw: "\(type(of: error)): \(error)")
        case .success(let value):
            (value as? Watch<ConformanceValue>)?.cancel()
            throw fail("\(what) in a cancelled task to throw CancellationError", saw: "it returned \(describe(value))")
        }
    }

    func kindRequired() async throws {
        try await withStore { store in
            let value = ConformanceValue("x", 1)
            try await expectError(StoreError.kindRequired, "set with an empty kind") { try await store.set("", "k", value) }
            try await expectError(StoreError.kindRequired, "update with an empty kind") {
                try await store.update("", "k") { $0.n += 1 }
            }
            try await expectError(StoreError.kindRequired, "setMany with an empty kind") {
                try await store.setMany("", ["k": value])
            }
            try await expectError(StoreError.kindRequired, "delete with an empty kind") { try await store.delete("", "k") }
            try await expectError(StoreError.kindRequired, "watch with an empty kind") {
                let watch = try await store.watch("")
                watch.cancel()
                return watch
            }
            try await expectError(StoreError.kindRequired, "watch with an empty kind and replay") {
                let watch = try await store.watch("", options: WatchOptions(initialReplay: true))
                watch.cancel()
                return watch
            }
            let all = try await store.getAll()
            try expect((all[""] ?? [:]).isEmpty, "nothing stored under the empty kind", saw: show(all[""] ?? [:]))
        }
    }

    func closeIdempotent() async throws {
        try await withStore { store in
            try await store.set("things", "k", ConformanceValue("x", 1))
            try await store.close()
            try await store.close()
            try await store.close()
        }
        for round in 0..<max(3, rounds / 4) {
            try await withStore { store in
                try await store.set("things", "k", ConformanceValue("x", round))
                try await timed("round \(round): eight concurrent close() calls") {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for _ in 0..<8 { group.addTask { try await store.close() } }
                        try await group.waitForAll()
                    }
                }
                try await expectError(StoreError.closed, "round \(round): get after concurrent closes") {
                    try await store.get("things", "k")
                }
            }
        }
    }

    func closedOperationsThrow() async throws {
        try await withStore { store in
            let kind = "things", value = ConformanceValue("x", 1)
            try await store.set(kind, "k", value)
            let watch = try await store.watch(kind)
            try await store.close()
            watch.cancel()
            let closed = StoreError.closed
            try await expectError(closed, "get after close") { try await store.get(kind, "k") }
            try await expectError(closed, "get of a missing key after close") { try await store.get(kind, "missing") }
            try await expectError(closed, "list after close") { try await store.list(kind) }
            try await expectError(closed, "filtered list after close") { try await store.list(kind, where: { _, _ in true }) }
            try await expectError(closed, "count after close") { try await store.count(kind) }
            try await expectError(closed, "keys after close") { try await store.keys(kind) }
            try await expectError(closed, "values after close") { try await store.values(kind) }
            try await expectError(closed, "getAll after close") { try await store.getAll() }
            try await expectError(closed, "set after close") { try await store.set(kind, "new", value) }
            try await expectError(closed, "set of an unchanged value after close") { try await store.set(kind, "k", value) }
            try await expectError(closed, "update after close") { try await store.update(kind, "k") { $0.n += 1 } }
            try await expectError(closed, "update of a missing key after close") {
                try await store.update(kind, "missing") { $0.n += 1 }
            }
            try await expectError(closed, "setMany after close") { try await store.setMany(kind, ["k": value]) }
            try await expectError(closed, "empty setMany after close") { try await store.setMany(kind, [:]) }
            try await expectError(closed, "delete after close") { try await store.delete(kind, "k") }
            try await expectError(closed, "delete of a missing key after close") { try await store.delete(kind, "missing") }
            try await expectError(closed, "watch after close") {
                let watch = try await store.watch(kind)
                watch.cancel()
                return watch
            }
            try await expectError(closed, "watch with replay after close") {
                let watch = try await store.watch(kind, options: WatchOptions(initialReplay: true))
                watch.cancel()
                return watch
            }
            try await store.close()
        }
    }
}
