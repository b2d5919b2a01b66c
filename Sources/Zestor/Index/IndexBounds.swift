/// Which index keys a range query or count takes (used within the call that takes it): a contiguous run of the index's order,
/// described by two monotone tests — whether a key sorts before every key of the run, and
/// whether it sorts after every key of it.
///
/// Made from every Swift range form (`a..<b`, `a...b`, `..<b`, `...b`, `a...`; any of them can
/// be passed where bounds are expected, see ``IndexBoundsExpression``), from ``all``, and for
/// composite keys from a prefix of their components (``prefix(_:)-(A)``).
public struct IndexBounds<Key: Comparable> {
    /// Whether a key sorts before every key in the bounds.
    @usableFromInline let isBelow: (Key) -> Bool
    /// Whether a key sorts after every key in the bounds.
    @usableFromInline let isAbove: (Key) -> Bool
    /// The one key within the bounds, when they name exactly one (``equals(_:)``): queries then
    /// find its entries by hash, not by searching the key order.
    @usableFromInline let exact: Key?

    /// Bounds from the two tests; each must be monotone in the key order (true for a prefix of
    /// the order, resp. a suffix) and no key may pass both.
    @inlinable
    init(isBelow: @escaping (Key) -> Bool, isAbove: @escaping (Key) -> Bool, exact: Key? = nil) {
        self.isBelow = isBelow
        self.isAbove = isAbove
        self.exact = exact
    }

    /// Every key.
    public static var all: IndexBounds { IndexBounds(isBelow: { _ in false }, isAbove: { _ in false }) }

    /// The keys equal to `key`.
    public static func equals(_ key: Key) -> IndexBounds {
        IndexBounds(isBelow: { $0 < key }, isAbove: { key < $0 }, exact: key)
    }

    /// Whether `key` is within the bounds.
    @inlinable
    public func contains(_ key: Key) -> Bool { !isBelow(key) && !isAbove(key) }
}

extension IndexBounds {
    /// The composite keys whose first component is `first`, ordered by the rest.
    public static func prefix<A, B>(_ first: A) -> IndexBounds where Key == IndexKey2<A, B> {
        IndexBounds(isBelow: { $0.first < first }, isAbove: { first < $0.first })
    }

    /// The composite keys whose first component is `first`, ordered by the rest.
    public static func prefix<A, B, C>(_ first: A) -> IndexBounds where Key == IndexKey3<A, B, C> {
        IndexBounds(isBelow: { $0.first < first }, isAbove: { first < $0.first })
    }

    /// The composite keys whose first two components are `first` and `second`.
    public static func prefix<A, B, C>(_ first: A, _ second: B) -> IndexBounds where Key == IndexKey3<A, B, C> {
        IndexBounds(isBelow: { $0.first < first || ($0.first == first && $0.second < second) },
                    isAbove: { first < $0.first || (first == $0.first && second < $0.second) })
    }

    /// The composite keys whose first component is `first`, ordered by the rest.
    public static func prefix<A, B, C, D>(_ first: A) -> IndexBounds where Key == IndexKey4<A, B, C, D> {
        IndexBounds(isBelow: { $0.first < first }, isAbove: { first < $0.first })
    }

    /// The composite keys whose first two components are `first` and `second`.
    public static func prefix<A, B, C, D>(_ first: A, _ second: B) -> IndexBounds where Key == IndexKey4<A, B, C, D> {
        IndexBounds(isBelow: { $0.first < first || ($0.first == first && $0.second < second) },
                    isAbove: { first < $0.first || (first == $0.first && second < $0.second) })
    }

    /// The composite keys whose first three components are `first`, `second` and `third`.
    public static func prefix<A, B, C, D>(_ first: A, _ second: B, _ third: C) -> IndexBounds
        where Key == IndexKey4<A, B, C, D> {
        IndexBounds(isBelow: { IndexKey3($0.first, $0.second, $0.third) < IndexKey3(first, second, third) },
                    isAbove: { IndexKey3(first, second, third) < IndexKey3($0.first, $0.second, $0.third) })
    }
}

/// A value that names ``IndexBounds``: the bounds themselves and every Swift range form, so a
/// query takes `10..<20`, `10...19`, `..<20`, `...19`, `10...` or `.prefix("Paris")` alike.
public protocol IndexBoundsExpression<Key> {
    associatedtype Key: Comparable
    /// The bounds this expression names.
    var indexBounds: IndexBounds<Key> { get }
}

extension IndexBounds: IndexBoundsExpression {
    public var indexBounds: IndexBounds<Key> { self }
}

extension Range: IndexBoundsExpression {
    public var indexBounds: IndexBounds<Bound> {
        let (lower, upper) = (lowerBound, upperBound)
        return IndexBounds(isBelow: { $0 < lower }, isAbove: { $0 >= upper })
    }
}

extension ClosedRange: IndexBoundsExpression {
    public var indexBounds: IndexBounds<Bound> {
        let (lower, upper) = (lowerBound, upperBound)
        return IndexBounds(isBelow: { $0 < lower }, isAbove: { $0 > upper })
    }
}

extension PartialRangeFrom: IndexBoundsExpression {
    public var indexBounds: IndexBounds<Bound> {
        let lower = lowerBound
        return IndexBounds(isBelow: { $0 < lower }, isAbove: { _ in false })
    }
}

extension PartialRangeUpTo: IndexBoundsExpression {
    public var indexBounds: IndexBounds<Bound> {
        let upper = upperBound
        return IndexBounds(isBelow: { _ in false }, isAbove: { $0 >= upper })
    }
}

extension PartialRangeThrough: IndexBoundsExpression {
    public var indexBounds: IndexBounds<Bound> {
        let upper = upperBound
        return IndexBounds(isBelow: { _ in false }, isAbove: { $0 > upper })
    }
}

// Implicit member syntax where bounds are expected: `range(index, .prefix("Paris"))`.
extension IndexBoundsExpression {
    /// The composite keys whose first component is `first` (``IndexBounds/prefix(_:)-(A)``).
    public static func prefix<A, B>(_ first: A) -> Self where Self == IndexBounds<IndexKey2<A, B>> {
        IndexBounds.prefix(first)
    }

    /// The composite keys whose first component is `first`.
    public static func prefix<A, B, C>(_ first: A) -> Self where Self == IndexBounds<IndexKey3<A, B, C>> {
        IndexBounds.prefix(first)
    }

    /// The composite keys whose first two components are `first` and `second`.
    public static func prefix<A, B, C>(_ first: A, _ second: B) -> Self where Self == IndexBounds<IndexKey3<A, B, C>> {
        IndexBounds.prefix(first, second)
    }

    /// The composite keys whose first component is `first`.
    public static func prefix<A, B, C, D>(_ first: A) -> Self where Self == IndexBounds<IndexKey4<A, B, C, D>> {
        IndexBounds.prefix(first)
    }

    /// The composite keys whose first two components are `first` and `second`.
    public static func prefix<A, B, C, D>(_ first: A, _ second: B) -> Self where Self == IndexBounds<IndexKey4<A, B, C, D>> {
        IndexBounds.prefix(first, second)
    }

    /// The composite keys whose first three components are `first`, `second` and `third`.
    public static func prefix<A, B, C, D>(_ first: A, _ second: B, _ third: C) -> Self
        where Self == IndexBounds<IndexKey4<A, B, C, D>> {
        IndexBounds.prefix(first, second, third)
    }
}
