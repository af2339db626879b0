//! Runs the emulator on its own until interrupted, printing where it listens, for poking at it
//! with the AWS CLI or an SDK (`AWS_ENDPOINT_URL=<url>`).

use local_aws::Emulator;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let emulator = Emulator::start().await?;
    let address = serde_json::json!({"url": emulator.url(), "health_passive_url": emulator.passive_url()});
    println!("{address}");
    if let Some(path) = std::env::args().nth(1) {
        std::fs::write(path, address.to_string())?;
    }
    tokio::signal::ctrl_c().await?;
    emulator.shutdown();
    Ok(())
}
