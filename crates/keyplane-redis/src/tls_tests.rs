//! `rediss://` against the machine's `redis-server`, started here on a TLS port with a CA and
//! a certificate this test makes: the right CA connects, another CA and plain TCP do not.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};

use super::Redis;

struct TlsRedis {
    child: Child,
    port: u16,
    dir: PathBuf,
    ca_pem: String,
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A CA, and a certificate for 127.0.0.1 and localhost signed by it: (CA PEM, cert PEM, key PEM).
fn certificates() -> (String, String, String) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let params =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
    (ca.pem(), cert.pem(), key.serialize_pem())
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// `redis-server` on a free TLS port (no plain port), or `None` outside CI when it cannot run.
fn start() -> Option<TlsRedis> {
    let dir = std::env::temp_dir().join(format!("keyplane-redis-tls-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let (ca_pem, cert_pem, key_pem) = certificates();
    let ca = write(&dir, "ca.pem", &ca_pem);
    let cert = write(&dir, "server.pem", &cert_pem);
    let key = write(&dir, "server.key", &key_pem);
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let spawned = Command::new("redis-server")
        .args([
            "--port",
            "0",
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .arg("--tls-port")
        .arg(port.to_string())
        .arg("--tls-cert-file")
        .arg(&cert)
        .arg("--tls-key-file")
        .arg(&key)
        .arg("--tls-ca-cert-file")
        .arg(&ca)
        .args(["--tls-auth-clients", "no"])
        .arg("--dir")
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let child = match spawned {
        Ok(child) => child,
        Err(err) if std::env::var_os("CI").is_none() => {
            eprintln!("skipped: redis-server cannot run here ({err}); CI runs this test");
            return None;
        }
        Err(err) => panic!("CI needs redis-server: {err}"),
    };
    let server = TlsRedis {
        child,
        port,
        dir,
        ca_pem,
    };
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "redis-server with TLS did not start listening"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(server)
}

#[tokio::test]
async fn rediss_connects_with_the_servers_ca_and_refuses_anything_else() {
    let Some(server) = start() else { return };
    let url = format!("rediss://127.0.0.1:{}", server.port);
    let trusted = Redis::open_with_ca(&url, Duration::from_secs(2), server.ca_pem.as_bytes())
        .expect("a valid URL and CA");
    trusted.ping().await.expect("PING over TLS");

    // A certificate no CA of ours signed is refused.
    let (other_ca, _, _) = certificates();
    let untrusted = Redis::open_with_ca(&url, Duration::from_secs(2), other_ca.as_bytes()).unwrap();
    assert!(
        untrusted.ping().await.is_err(),
        "another CA's trust is not enough"
    );
    // Without the CA, the system's roots do not know ours either.
    let system_roots = Redis::open(&url, Duration::from_secs(2)).unwrap();
    assert!(system_roots.ping().await.is_err());
    // Plain TCP to the TLS port gets no answer.
    let plain = Redis::open(
        &format!("redis://127.0.0.1:{}", server.port),
        Duration::from_millis(500),
    )
    .unwrap();
    assert!(plain.ping().await.is_err());
}

#[tokio::test]
async fn a_ca_file_is_refused_for_a_url_without_tls_a_fragment_or_no_certificate() {
    let (ca, _, _) = certificates();
    let timeout = Duration::from_secs(1);
    assert!(Redis::open_with_ca("redis://127.0.0.1:6379", timeout, ca.as_bytes()).is_err());
    assert!(
        Redis::open_with_ca("rediss://127.0.0.1:6379/#insecure", timeout, ca.as_bytes()).is_err()
    );
    assert!(Redis::open("rediss://127.0.0.1:6379/#insecure", timeout).is_err());
    assert!(Redis::open_with_ca("rediss://127.0.0.1:6379", timeout, b"not a certificate").is_err());
    assert!(Redis::open_with_ca("rediss://127.0.0.1:6379", timeout, ca.as_bytes()).is_ok());
}
