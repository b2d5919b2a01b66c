import Zestor

extension DurabilityContext {
    func roundTrip() async throws {
        try await withStorage { storage in
            let written = try await withStore(on: storage, mode.writeMode(), "the first store") { store in
                for index in 0..<200 { try await store.set("numbers", "n\(index)", ConformanceValue("n", index)) }
                try await store.update("numbers", "n7") { $0.n = 700 }
                try await store.delete("numbers", "n8")
                try await store.setMany("letters", ["a": ConformanceValue("a", 1), "b": ConformanceValue("b", 2)])
                try await store.set("letters", "a", ConformanceValue("a", 10))
                for n in 1...3 { try await store.set("letters", "c", ConformanceValue("c", n)) }
                try await store.flush()
                // Stored at version 3, then deleted and re-created: version 1 must replace it.
                try await store.delete("letters", "c")
                do {
                    try await store.set("letters", "c", ConformanceValue("c again", 1))
                } catch {
                    throw fail("re-creating letters/c after deleting it to succeed (the stored row must be gone)",
                               saw: "\(type(of: error)): \(error)")
                }
                let contents = try contents(of: store)
                try expectEqual(contents["numbers"]?["n7"]?.version, 2, "the version of numbers/n7 after one update")
                try expectEqual(contents["letters"]?["c"]?.version, 1, "the version of the re-created letters/c")
                return contents
            }
            let rewritten = try await withStore(on: storage, mode.writeMode(), "a store reopened on the storage") { store in
                try expectContents(try contents(of: store), written, "the entries and versions the reopened store loaded")
                try await store.set("numbers", "n7", ConformanceValue("n", 7_000))
                try await store.delete("numbers", "n0")
                try await store.setMany("letters", ["c": ConformanceValue("c", 2), "d": ConformanceValue("d", 1)])
                let contents = try contents(of: store)
                try expectEqual(contents["numbers"]?["n7"]?.version, 3,
                                "the version of numbers/n7 written after the reopen (continuing from version 2)")
                return contents
            }
            try await withStore(on: storage, mode.writeMode(), "a store opened a third time") { store in
                try expectContents(try contents(of: store), rewritten,
                                   "the entries and versions after writes made by the reopened store")
            }
        }
    }

    func hostileInput() async throws {
        let entries = Self.hostileEntries
        try await withStorage { storage in
            try await withStore(on: storage, mode.writeMode(), "the first store") { store in
                for entry in entries {
                    try expectEqual(try await store.set(entry.kind, entry.key, entry.value), .created,
                                    "set of \(visible(entry.kind))/\(visible(entry.key))")
                }
            }
            try await withStore(on: storage, mode.writeMode(), "a store reopened on the storage") { store in
                let kinds = try store.getAll().keys.sorted()
                let byBytes = { (kinds: [String]) in kinds.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) } }
                try expect(byBytes(kinds) == byBytes(entries.map(\.kind)),
                           "the reopened store to hold exactly the \(entries.count) kinds written",
                           saw: "kinds \(kinds.map(visible).joined(separator: ", "))")
                for entry in entries {
                    let keys = try store.keys(entry.kind)
                    try expect(keys.count == 1 && sameBytes(keys[0], entry.key),
                               "kind \(visible(entry.kind)) to hold exactly the key \(visible(entry.key))",
                               saw: "keys \(keys.map(visible).joined(separator: ", "))")
                    let stored = try store.getVersioned(entry.kind, entry.key)
                    let exact = stored.map { sameBytes($0.value.name, entry.value.name) && $0.value.n == entry.value.n }
                    try expect(exact == true,
                               "\(visible(entry.kind))/\(visible(entry.key)) to be \(render(entry.value)) byte for byte",
                               saw: stored.map { render($0.value) } ?? "absent")
                    try expectEqual(stored?.version, 1, "the version of \(visible(entry.kind))/\(visible(entry.key))")
                }
            }
        }
    }

    /// One entry per kind, so each kind's keys can be checked exactly. No NUL characters:
    /// PostgreSQL text (the zestor schema's kind and key columns) cannot hold them.
    static var hostileEntries: [(kind: String, key: String, value: ConformanceValue)] {
        [
            ("quotes'\"`", "it's \"quoted\"", ConformanceValue("'\"`", 1)),
            ("'; DROP TABLE zestor_kv; --", "'; DROP TABLE zestor_kv; --", ConformanceValue("'; DROP TABLE zestor_kv; --", 2)),
            ("emoji 🦊", "🔑🗝️ 👩‍👩‍👧", ConformanceValue("👍🏽", 3)),
            ("עברית", "مفتاح", ConformanceValue("\u{202E}rtl override", 4)),
            ("empty key", "", ConformanceValue("", 5)),
            ("combining e\u{301}", "e\u{301}\u{323} A\u{30A}", ConformanceValue("o\u{308}\u{304} \u{1100}\u{1161}", 6)),
            ("invisible\u{200B}", "\u{FEFF}bom\u{200D}zwj", ConformanceValue("\u{00A0}nbsp\u{2028}ls", 7)),
            ("escapes \\ % _ $1 ?", "back\\slash\t\n\r%s $1 :name", ConformanceValue("\u{1}\u{1F}\u{7F}\\u0000 \"\\\"", 8)),
            ("漢字 kind", "キー", ConformanceValue("価値", 9)),
            ("big", "1 MB", ConformanceValue(String(repeating: "0123456789abcdef", count: 1 << 16), 10)),
        ]
    }

    func secondStoreSeesWrites() async throws {
        try await withStorage { storage in
            // Write-behind waits long enough that only `flush()` can make the writes durable in time.
            try await withStore(on: storage, mode.writeMode(maxDelay: .seconds(30)), "the writing store") { writer in
                for index in 0..<500 { try await writer.set("k", "key-\(index)", ConformanceValue("v", index)) }
                for _ in 0..<2 { try await writer.update("k", "key-7") { $0.n += 1_000 } }
                try await writer.delete("k", "key-8")
                try await writer.setMany("other", Dictionary(uniqueKeysWithValues: (0..<10).map {
                    ("o\($0)", ConformanceValue("o", $0))
                }))
                if mode == .writeBehind { try await writer.flush() }
                let written = try contents(of: writer)
                try await withStore(on: storage, .writeThrough, "a second store opened while the first is open") { reader in
                    try expectContents(try contents(of: reader), written,
                                       "the entries and versions the second store loaded")
                }
            }
        }
    }

    func lostRaceIsRefreshed() async throws {
        try await withStorage { storage in
            try await withStore(on: storage, .writeThrough, "the losing store") { loser in
                try await withStore(on: storage, mode.writeMode(), "the winning store") { winner in
                    try await winner.set("k", "a", ConformanceValue("winner", 1))
                    try await winner.set("k", "a", ConformanceValue("winner", 2))
                    try await winner.flush()
                }
                // The loser opened before the winner wrote: unless its change feed delivered the
                // winner's rows already, it computes version 1 and loses.
                var conflicts = 0
                while true {
                    do {
                        try await loser.set("k", "a", ConformanceValue("loser", 3))
                        break
                    } catch StoreError.versionConflict(_, _, _, let actual) {
                        conflicts += 1
                        try expectEqual(actual, 2, "the winner's version in the version conflict")
                        let shown = try loser.getVersioned("k", "a")
                        try expect(shown?.value == ConformanceValue("winner", 2),
                                   "the losing store to show the winner's value after the conflict", saw: render(shown))
                        if conflicts > 1 {
                            throw fail("the retry after a version conflict to succeed", saw: "a second conflict")
                        }
                    }
                }
                try expectEqual(try loser.getVersioned("k", "a")?.version, 3,
                                "the version of the losing store's write, on top of the winner's two")
            }
            try await withStore(on: storage, .writeThrough, "a store reopened on the storage") { store in
                try expectEqual(try store.getVersioned("k", "a"), Versioned(value: ConformanceValue("loser", 3), version: 3),
                                "the stored row after the retried write")
            }
        }
    }
}
