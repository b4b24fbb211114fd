//! Prints the test vectors in the form `docs/protocol.md` lists them.
//! Run with `cargo run -p margin-core --features test --example vectors`.

fn main() {
    for v in margin_core::vectors::vectors() {
        println!("vector: {}", v.name);
        println!("seed: {}", hex::encode(v.seed));
        println!("public: {}", v.entry.author());
        println!("entry: {}", hex::encode(v.entry.bytes()));
        println!("id: {}", v.entry.id());
        println!();
    }
}
