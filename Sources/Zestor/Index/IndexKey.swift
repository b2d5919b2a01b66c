/// Composite index keys: two to four components compared lexicographically (the first, then the
/// second on a tie, …), so an index over several fields needs no `Comparable` of its own.
/// ``IndexBounds`` queries them by a prefix of their components too
/// (``IndexBounds/prefix(_:)-(A)``).
///
/// ```swift
/// let byCityAge = try store.createIndex("users", "city_age") { IndexKey2($0.city, $0.age) }
/// let parisians = try store.range(byCityAge, .prefix("Paris"))   // ordered by age, then key
/// ```
public struct IndexKey2<A: Comparable & Hashable & Sendable, B: Comparable & Hashable & Sendable>:
    Comparable, Hashable, Sendable {
    public var first: A
    public var second: B

    @inlinable
    public init(_ first: A, _ second: B) {
        self.first = first
        self.second = second
    }

    @inlinable
    public static func < (lhs: Self, rhs: Self) -> Bool {
        // Component by component, not as tuples: tuple comparison is generic over the tuple type
        // and instantiates its metadata at run time.
        if lhs.first != rhs.first { return lhs.first < rhs.first }
        return lhs.second < rhs.second
    }
}

/// A composite index key of three components (see ``IndexKey2``).
public struct IndexKey3<A: Comparable & Hashable & Sendable, B: Comparable & Hashable & Sendable,
                        C: Comparable & Hashable & Sendable>: Comparable, Hashable, Sendable {
    public var first: A
    public var second: B
    public var third: C

    @inlinable
    public init(_ first: A, _ second: B, _ third: C) {
        self.first = first
        self.second = second
        self.third = third
    }

    @inlinable
    public static func < (lhs: Self, rhs: Self) -> Bool {
        if lhs.first != rhs.first { return lhs.first < rhs.first }
        if lhs.second != rhs.second { return lhs.second < rhs.second }
        return lhs.third < rhs.third
    }
}

/// A composite index key of four components (see ``IndexKey2``).
public struct IndexKey4<A: Comparable & Hashable & Sendable, B: Comparable & Hashable & Sendable,
                        C: Comparable & Hashable & Sendable, D: Comparable & Hashable & Sendable>:
    Comparable, Hashable, Sendable {
    public var first: A
    public var second: B
    public var third: C
    public var fourth: D

    @inlinable
    public init(_ first: A, _ second: B, _ third: C, _ fourth: D) {
        self.first = first
        self.second = second
        self.third = third
        self.fourth = fourth
    }

    @inlinable
    public static func < (lhs: Self, rhs: Self) -> Bool {
        if lhs.first != rhs.first { return lhs.first < rhs.first }
        if lhs.second != rhs.second { return lhs.second < rhs.second }
        if lhs.third != rhs.third { return lhs.third < rhs.third }
        return lhs.fourth < rhs.fourth
    }
}
