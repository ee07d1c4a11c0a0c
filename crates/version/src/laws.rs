//! The laws every scheme's order must keep, shared by the modules' property tests: for any
//! three versions, in every arrangement, `cmp` is antisymmetric, `==` and `partial_cmp` agree
//! with `cmp`, and both `<=` and `<` are transitive. (Sorting three values and checking the
//! result cannot find an intransitive comparator: the sort trusts it.)

use std::cmp::Ordering;
use std::fmt::Debug;

pub(crate) fn check<T: Ord + Debug>(a: &T, b: &T, c: &T) -> Result<(), String> {
    let all = [a, b, c];
    for (p, q, r) in [
        (0, 1, 2),
        (0, 2, 1),
        (1, 0, 2),
        (1, 2, 0),
        (2, 0, 1),
        (2, 1, 0),
    ] {
        let (x, y, z) = (all[p], all[q], all[r]);
        if x.cmp(y) != y.cmp(x).reverse() {
            return Err(format!("not antisymmetric: {x:?} vs {y:?}"));
        }
        if (x == y) != (x.cmp(y) == Ordering::Equal) || x.partial_cmp(y) != Some(x.cmp(y)) {
            return Err(format!("==/partial_cmp disagree with cmp: {x:?} vs {y:?}"));
        }
        if x.cmp(x) != Ordering::Equal {
            return Err(format!("not reflexive: {x:?}"));
        }
        if x <= y && y <= z && x > z {
            return Err(format!("<= not transitive: {x:?} <= {y:?} <= {z:?}"));
        }
        if x < y && y <= z && x >= z {
            return Err(format!("< not transitive: {x:?} < {y:?} <= {z:?}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rock-paper-scissors: antisymmetric but not transitive.
    #[derive(Debug)]
    struct Rps(u8);
    crate::order_from_ord!(Rps);
    impl Ord for Rps {
        fn cmp(&self, other: &Self) -> Ordering {
            match (self.0, other.0) {
                (a, b) if a == b => Ordering::Equal,
                (0, 2) | (1, 0) | (2, 1) => Ordering::Greater,
                _ => Ordering::Less,
            }
        }
    }

    #[test]
    fn catches_an_intransitive_order() {
        assert!(check(&Rps(0), &Rps(1), &Rps(2)).is_err());
        assert_eq!(check(&1, &2, &3), Ok(()));
        assert_eq!(check(&2, &2, &1), Ok(()));
    }
}
