//! Seeded, order-independent randomness (pure): every toxicity roll is a hash of
//! (seed, fault name, connection number, request number), so the same seed and plan hit the
//! same connections and requests however the connections interleave in time.

/// SplitMix64's finaliser: a bijective mix of 64 bits.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a of a name, so that two faults of one plan roll independently.
fn name_hash(name: &str) -> u64 {
    name.bytes()
        .fold(0xCBF2_9CE4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3))
}

/// A uniform draw in [0, 1) for this fault on connection `connection` and request `request`
/// (request 0: the roll of the connection itself).
pub fn draw(seed: u64, fault: &str, connection: u64, request: u64) -> f64 {
    let h = mix(mix(mix(seed ^ name_hash(fault)) ^ connection) ^ request.rotate_left(32));
    // 53 random bits → an exact f64 in [0, 1).
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// Whether a roll with probability `toxicity` hits.
pub fn hits(toxicity: f64, seed: u64, fault: &str, connection: u64, request: u64) -> bool {
    toxicity >= 1.0 || draw(seed, fault, connection, request) < toxicity
}

/// A small deterministic generator for one connection's jitter and slice sizes.
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// The generator of fault `fault` on connection `connection`.
    pub fn new(seed: u64, fault: &str, connection: u64) -> Rng {
        Rng { state: mix(seed ^ name_hash(fault)) ^ connection.rotate_left(17) }
    }

    /// The next 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.state)
    }

    /// A value in `base - spread ..= base + spread`, never below 0.
    pub fn around(&mut self, base: u64, spread: u64) -> u64 {
        if spread == 0 {
            return base;
        }
        let width = spread.saturating_mul(2).saturating_add(1);
        let offset = self.next_u64() % width;
        base.saturating_add(offset).saturating_sub(spread)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_inputs_draw_the_same_value() {
        assert_eq!(draw(7, "reset_peer_downstream", 3, 2), draw(7, "reset_peer_downstream", 3, 2));
        assert_ne!(draw(7, "reset_peer_downstream", 3, 2), draw(8, "reset_peer_downstream", 3, 2));
        assert_ne!(draw(7, "reset_peer_downstream", 3, 2), draw(7, "latency_downstream", 3, 2));
        assert_ne!(draw(7, "a", 3, 2), draw(7, "a", 2, 3));
        assert_ne!(draw(7, "a", 1, 0), draw(7, "a", 1, 1));
    }

    #[test]
    fn draws_are_uniform_enough_for_a_toxicity() {
        let n = 20_000u64;
        let hits_10 = (1..=n).filter(|r| hits(0.1, 7, "x", 1, *r)).count() as f64 / n as f64;
        assert!((0.09..0.11).contains(&hits_10), "{hits_10}");
        let hits_half = (1..=n).filter(|c| hits(0.5, 7, "x", *c, 0)).count() as f64 / n as f64;
        assert!((0.48..0.52).contains(&hits_half), "{hits_half}");
        assert!((1..=1000).all(|r| !hits(0.0, 1, "x", 1, r)));
        assert!((1..=1000).all(|r| hits(1.0, 1, "x", 1, r)));
        assert!((1..=1000).all(|r| (0.0..1.0).contains(&draw(3, "y", r, r))));
    }

    #[test]
    fn the_generator_is_seeded_and_bounded() {
        let mut a = Rng::new(7, "latency", 4);
        let mut b = Rng::new(7, "latency", 4);
        let xs: Vec<u64> = (0..50).map(|_| a.around(100, 10)).collect();
        let ys: Vec<u64> = (0..50).map(|_| b.around(100, 10)).collect();
        assert_eq!(xs, ys);
        assert!(xs.iter().all(|x| (90..=110).contains(x)));
        assert!(xs.iter().any(|x| *x != xs[0]));
        assert!(Rng::new(1, "a", 1).around(3, 10) <= 13);
        assert_eq!(Rng::new(1, "a", 1).around(5, 0), 5);
    }
}
