//! Determinism: the body gets logical time, seeded randomness and clear
//! errors, never the host's clock, files, environment or network.
