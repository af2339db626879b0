//! moto's server, a second implementation of DynamoDB the conformance tests also run against,
//! so that an assumption the emulator and its tests share is caught. One server per test
//! binary (it takes seconds to start), on a port the system chooses; each test has it alone,
//! reset, for as long as it holds its turn.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A Python with `moto[server]` installed (tests/local-aws/moto-requirements.txt); `make test`
/// sets it. Unset, the tests fail and say how to set it: a passing run that silently checked
/// the emulator alone would look like a second opinion it is not. `off` checks the emulator
/// alone, when asked for by name.
const PYTHON: &str = "LOCAL_AWS_MOTO_PYTHON";

/// moto's server, ended when its standard input closes: when this test binary ends, however
/// it ends (its tests passing, panicking or the binary killed), so no server outlives it.
/// Rust never drops a static, so a kill on drop would not do it.
const SERVE: &str = "
import os, sys, threading
from moto.server import main
def orphaned():
    sys.stdin.buffer.read()
    os._exit(0)
threading.Thread(target=orphaned, daemon=True).start()
main(['-H', '127.0.0.1', '-p', '0'])
";

const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The running server: its URL, and what keeps it alive (its process and its standard input).
struct Server {
    url: String,
    _process: Child,
    _stdin: ChildStdin,
}

static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
/// One test at a time: each resets the server's state when it starts.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A test's turn with moto: its URL, with every table of earlier tests gone.
pub struct Turn {
    pub url: String,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

/// moto, for this test alone, or None when the emulator is to be checked alone
/// (`LOCAL_AWS_MOTO_PYTHON=off`). Panics, saying how to run it, when it is not set or moto
/// cannot be started.
pub async fn turn() -> Option<Turn> {
    let python = match std::env::var(PYTHON) {
        Ok(python) if python == "off" => return None,
        Ok(python) => python,
        Err(_) => panic!(
            "{PYTHON} is not set. The DynamoDB conformance tests run against moto's server too: \
             run `make test`, or `make moto` and then \
             {PYTHON}=$HOME/.cache/pipeguard/moto/bin/python cargo test -p local-aws; \
             {PYTHON}=off checks the emulator alone"
        ),
    };
    let turn = TURN.lock().await;
    let server = SERVER.get_or_init(|| start(&python));
    let url = match server {
        Ok(server) => server.url.clone(),
        Err(why) => panic!("{why}"),
    };
    if let Err(why) = reset(&url) {
        panic!("resetting moto at {url}: {why}");
    }
    Some(Turn { url, _turn: turn })
}

fn start(python: &str) -> Result<Server, String> {
    let mut process = Command::new(python)
        .args(["-c", SERVE])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| format!("starting moto's server with {python} ({PYTHON}): {error}"))?;
    let (stdin, stderr) = match (process.stdin.take(), process.stderr.take()) {
        (Some(stdin), Some(stderr)) => (stdin, stderr),
        _ => return Err("moto's server has no standard input or error to watch".to_owned()),
    };
    // Werkzeug says where it listens on its standard error, then logs every request there: read
    // it to the end, or the pipe fills and the server stops.
    let (said, heard) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = said.send(line);
        }
    });
    let deadline = Instant::now() + START_TIMEOUT;
    let mut lines = Vec::new();
    while let Ok(line) = heard.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        if let Some(at) = line.find("Running on http://") {
            let url = line[at + "Running on ".len()..].trim().to_owned();
            std::thread::spawn(move || heard.iter().for_each(drop));
            return Ok(Server {
                url,
                _process: process,
                _stdin: stdin,
            });
        }
        lines.push(line);
    }
    let _ = process.kill();
    Err(format!(
        "moto's server ({python} -c ...) ended or did not say where it listens within {} s; it said:\n{}",
        START_TIMEOUT.as_secs(),
        lines.join("\n")
    ))
}

/// Forgets every table (moto's `/moto-api/reset`).
fn reset(url: &str) -> std::io::Result<()> {
    let address = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "POST /moto-api/reset HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    if answer.starts_with("HTTP/1.1 200") {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "answered {:?}",
            answer.lines().next()
        )))
    }
}
