//! Outbound HTTP that cannot be pointed at the service's own network.
//!
//! Supplier websites and webhook URLs come from users. Unless the configuration allows it,
//! requests to loopback, private, link-local (which includes cloud metadata at
//! 169.254.169.254), carrier-grade NAT, unique-local and unspecified addresses are refused —
//! for addresses written in the URL and for every address a name resolves to, on every
//! request the client makes (so a redirect or a DNS change cannot get around it).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

pub const USER_AGENT: &str = concat!(
    "CertWatch/",
    env!("CARGO_PKG_VERSION"),
    " (+certificate monitoring)"
);

/// Whether an address is one outbound requests must not reach.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_v4(v6) {
                return is_internal_v4(v4);
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (first & 0xffc0) == 0xfe80 // link local fe80::/10
                || (first & 0xffc0) == 0xfec0 // site local fec0::/10 (deprecated, still routed)
                || v6 == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) // AWS metadata
        }
    }
}

/// The IPv4 address an IPv6 address carries to a v4 host, where the network would
/// deliver it there: v4-mapped `::ffff:a.b.c.d`, v4-compatible `::a.b.c.d`, NAT64
/// `64:ff9b::/96` (and the local-use `64:ff9b:1::/48`), 6to4 `2002:AABB:CCDD::/48`.
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let o = v6.octets();
    let low = Ipv4Addr::new(o[12], o[13], o[14], o[15]);
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    // v4-compatible: 96 zero bits first (but not :: and ::1, handled as IPv6 themselves).
    if s[..6] == [0; 6] && !v6.is_loopback() && !v6.is_unspecified() {
        return Some(low);
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1) {
        return Some(low);
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(o[2], o[3], o[4], o[5]));
    }
    None
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT 100.64.0.0/10
        || a == 0
}

/// Checks a URL before it is stored or fetched: http(s), a host, and no internal address
/// literal (names are checked when they are resolved).
pub fn check_url(raw: &str, allow_internal: bool) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(raw).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("only http and https URLs are allowed".into());
    }
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or("the URL has no host")?;
    let ip = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .ok();
    if let Some(ip) = ip
        && !allow_internal
        && is_internal(ip)
    {
        return Err(format!("{ip} is an internal address"));
    }
    Ok(url)
}

/// [`check_url`], and — for a name — that it does not resolve only to internal addresses.
/// A name that does not resolve (yet) passes; every request checks again.
pub async fn check_url_resolved(raw: &str, allow_internal: bool) -> Result<reqwest::Url, String> {
    let url = check_url(raw, allow_internal)?;
    if allow_internal {
        return Ok(url);
    }
    let host = url.host_str().unwrap_or_default().to_string();
    if let Ok(addrs) = tokio::net::lookup_host((host.as_str(), 0)).await {
        let addrs: Vec<SocketAddr> = addrs.collect();
        if !addrs.is_empty() && addrs.iter().all(|a| is_internal(a.ip())) {
            return Err(format!("{host} resolves only to internal addresses"));
        }
    }
    Ok(url)
}

/// An error with its causes, which is where reqwest keeps the useful part.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// A resolver that drops internal addresses, failing when nothing else is left.
struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> =
                all.into_iter().filter(|a| !is_internal(a.ip())).collect();
            if allowed.is_empty() {
                return Err(format!("{host} resolves only to internal addresses").into());
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// An HTTP client with the guard in place (unless internal targets are allowed), a clear
/// User-Agent and the given limits.
pub fn client(allow_internal: bool, timeout: Duration, redirects: usize) -> reqwest::Client {
    // Every hop is checked like the first URL: a redirect to an internal address literal
    // never reaches the resolver, so the resolver's guard alone would not catch it.
    let policy = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() > redirects {
            return attempt.error(format!("more than {redirects} redirects"));
        }
        match check_url(attempt.url().as_str(), allow_internal) {
            Ok(_) => attempt.follow(),
            Err(e) => attempt.error(format!("redirect refused: {e}")),
        }
    });
    // No proxy from the environment: a proxy resolves names itself, so the guarded
    // resolver would never see them (`http://localhost./` went out through one).
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .user_agent(USER_AGENT)
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(10).min(timeout))
        .redirect(policy);
    if redirects == 0 {
        builder = builder.redirect(reqwest::redirect::Policy::none());
    }
    if !allow_internal {
        builder = builder.dns_resolver(Arc::new(GuardedResolver));
    }
    builder
        .build()
        .expect("a client with rustls and these settings builds")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "64:ff9b::7f00:1",    // NAT64 of 127.0.0.1
            "64:ff9b::a9fe:a9fe", // NAT64 of 169.254.169.254
            "64:ff9b:1::a00:1",   // local-use NAT64 of 10.0.0.1
            "::127.0.0.1",        // v4-compatible
            "::10.0.0.1",
            "2002:7f00:1::1",  // 6to4 of 127.0.0.1
            "2002:c0a8:101::", // 6to4 of 192.168.1.1
            "fec0::1",         // site local
            "ff02::1",
            "224.0.0.1",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "8.8.8.8",
            "93.184.216.34",
            "2606:4700::1111",
            "172.32.0.1",
            "64:ff9b::808:808", // NAT64 of 8.8.8.8
            "2002:808:808::1",  // 6to4 of 8.8.8.8
        ] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn url_checks() {
        assert!(check_url("https://example.com/hook", false).is_ok());
        assert!(check_url("http://127.0.0.1:8080/x", false).is_err());
        assert!(check_url("http://[::1]/x", false).is_err());
        assert!(check_url("http://169.254.169.254/latest/meta-data", false).is_err());
        assert!(check_url("http://127.0.0.1:8080/x", true).is_ok());
        assert!(check_url("ftp://example.com", true).is_err());
        assert!(check_url("not a url", true).is_err());
    }

    /// The first hop is an address literal (which never reaches the resolver); its redirect
    /// to the metadata address must still be refused.
    #[tokio::test]
    async fn every_redirect_hop_is_checked() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let mut request = [0u8; 1024];
                let _ = sock.read(&mut request).await;
                let answer = "HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/latest/meta-data/\r\nContent-Length: 0\r\n\r\n";
                let _ = sock.write_all(answer.as_bytes()).await;
            }
        });
        let err = client(false, Duration::from_secs(5), 5)
            .get(format!("http://{addr}/certificates"))
            .send()
            .await
            .expect_err("the redirect is refused");
        let text = error_chain(&err);
        assert!(
            text.contains("redirect refused") && text.contains("169.254.169.254"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn names_resolving_to_internal_addresses_are_refused() {
        let err = GuardedResolver
            .resolve("localhost".parse::<Name>().unwrap())
            .await
            .err()
            .expect("localhost is refused");
        assert!(err.to_string().contains("internal"), "{err}");
    }
}
