import Zestor

extension CaseContext {
    func validatorsPerKind() async throws {
        let options = StoreOptions<ConformanceValue>(validators: [
            "guarded": { value in if value.n < 0 { throw Rejected(value: value) } },
            "named": { value in if value.name.isEmpty { throw Rejected(value: value) } },
        ])
        try await withStore(options) { store in
            let negative = ConformanceValue("neg", -1), valid = ConformanceValue("ok", 1)
            try await expectChanges(store, "guarded", [Change(.create, "b", valid)],
                                    "a rejected set, a rejected update and a valid set") {
                try await expectError(Rejected(value: negative), "set of an invalid value") {
                    try await store.set("guarded", "a", negative)
                }
                try expectEqual(await store.get("guarded", "a"), nil, "the key after a rejected set")
                try await store.set("guarded", "b", valid)
                let turned = ConformanceValue("ok", -5)
                try await expectError(Rejected(value: turned), "update to an invalid value") {
                    try await store.update("guarded", "b") { $0.n = -5 }
                }
                try await expectError(Rejected(value: negative), "set of an invalid value over a valid one") {
                    try await store.set("guarded", "b", negative)
                }
            }
            try expectEqual(await store.get("guarded", "b"), valid, "the valid value after rejected writes")
            try expectEqual(await store.count("guarded"), 1, "count after rejected writes")

            try expectEqual(await store.set("plain", "a", negative), .created, "set in a kind without a validator")
            try expectEqual(await store.set("named", "a", negative), .created,
                                  "set in a kind whose validator accepts what another kind's rejects")
            let unnamed = ConformanceValue("", 5)
            try await expectError(Rejected(value: unnamed), "set rejected by the second kind's validator") {
                try await store.set("named", "b", unnamed)
            }
            try expectEqual(await store.set("guarded", "c", unnamed), .created, "set that only the other kind's validator rejects")
        }
    }

    func isEquivalentCustom() async throws {
        // Equivalent = same name; n is ignored.
        let sameName = StoreOptions<ConformanceValue>(isEquivalent: { $0.name == $1.name })
        try await withStore(sameName) { store in
            let first = ConformanceValue("x", 1)
            let renamed = ConformanceValue("y", 2)
            try await expectChanges(store, "things", [
                Change(.create, "a", first), Change(.update, "a", renamed), Change(.create, "b", first),
            ], "writes under isEquivalent(same name)") {
                try expectEqual(await store.set("things", "a", first), .created, "set of a new key")
                try expectEqual(await store.set("things", "a", ConformanceValue("x", 99)), .unchanged,
                                      "set of an equivalent (same name) but unequal value")
                try expectEqual(await store.get("things", "a"), first, "the value after an equivalent set")
                try expectEqual(await store.set("things", "a", renamed), .updated, "set of a value with another name")
                try expectEqual(await store.update("things", "a") { $0.n = 1000 }, false,
                                      "update changing only n (equivalent)")
                try await store.setMany("things", ["a": ConformanceValue("y", -3), "b": first])
            }
            try expectEqual(await store.get("things", "a"), renamed, "the value after equivalent writes")
        }
        // Nothing is ever equivalent: every set is a change, even of an equal value.
        let never = StoreOptions<ConformanceValue>(isEquivalent: { _, _ in false })
        try await withStore(never) { store in
            let value = ConformanceValue("x", 1)
            try await expectChanges(store, "things", [
                Change(.create, "a", value), Change(.update, "a", value), Change(.update, "a", value),
                Change(.update, "a", value),
            ], "equal writes under isEquivalent(never)") {
                try expectEqual(await store.set("things", "a", value), .created, "set of a new key")
                try expectEqual(await store.set("things", "a", value), .updated,
                                      "set of an equal value when isEquivalent always says false")
                try expectEqual(await store.update("things", "a") { _ in }, true,
                                      "no-op update when isEquivalent always says false")
                try await store.setMany("things", ["a": value])
            }
        }
    }

    func isEquivalentDefault() async throws {
        try await withStore { store in
            let value = ConformanceValue("x", 1), other = ConformanceValue("x", 2)
            try await expectChanges(store, "things", [Change(.create, "a", value), Change(.update, "a", other)],
                                    "writes compared with == by default") {
                try expectEqual(await store.set("things", "a", value), .created, "set of a new key")
                try expectEqual(await store.set("things", "a", ConformanceValue("x", 1)), .unchanged,
                                      "set of an == value (default change detection)")
                try expectEqual(await store.set("things", "a", other), .updated, "set of a != value")
                try expectEqual(await store.update("things", "a") { $0 = ConformanceValue("x", 2) }, false,
                                      "update to an == value")
                try await store.setMany("things", ["a": ConformanceValue("x", 2)])
            }
        }
    }
}
