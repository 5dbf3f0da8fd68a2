//! `--endpoint-url` (and `AWS_ENDPOINT_URL`): checked when the arguments are parsed. The SDK takes any
//! string and only fails when the first request is built, with an internal request dump as its message.

/// `http://host[:port][/path]` or `https://...`; otherwise a sentence saying what to write instead.
pub fn parse_endpoint_url(text: &str) -> Result<String, String> {
    if text.is_empty() {
        return Err("the endpoint URL is empty (is AWS_ENDPOINT_URL set to nothing?); give a URL such as \
                    http://localhost:4566, or unset it to use AWS"
            .into());
    }
    let Some((scheme, rest)) = text.split_once("://") else {
        return Err(format!("`{text}` has no scheme; write http://{text} (or https://{text})"));
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(format!("`{scheme}://` is not supported; the endpoint must start with http:// or https://"));
    }
    let authority = rest.find(['/', '?', '#']).map_or(rest, |end| &rest[..end]);
    let host = match authority.rsplit_once(':') {
        // An IPv6 address has colons of its own, inside brackets.
        Some((host, port)) if !port.contains(']') => {
            if port.parse::<u16>().ok().filter(|p| *p > 0).is_none() {
                return Err(format!("`{port}` in `{text}` is not a port number (1 to 65535)"));
            }
            host
        }
        _ => authority,
    };
    if host.is_empty() {
        return Err(format!("`{text}` names no host; write e.g. http://localhost:4566"));
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("`{text}` contains a space or a control character; a URL cannot"));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::parse_endpoint_url;

    #[test]
    fn urls_with_a_scheme_and_host_pass_unchanged() {
        for good in [
            "http://127.0.0.1:4566",
            "http://localhost:4566/",
            "https://s3.eu-west-1.amazonaws.com",
            "HTTP://LOCALHOST:4566",
            "http://[::1]:4566",
            "http://[::1]",
        ] {
            assert_eq!(parse_endpoint_url(good).as_deref(), Ok(good), "{good}");
        }
    }

    #[test]
    fn anything_else_says_what_to_write() {
        let err = |text: &str| parse_endpoint_url(text).expect_err(text);
        assert_eq!(
            err("127.0.0.1:4566"),
            "`127.0.0.1:4566` has no scheme; write http://127.0.0.1:4566 (or https://127.0.0.1:4566)"
        );
        assert!(err("localhost").contains("write http://localhost"));
        assert!(err("ftp://host").contains("must start with http:// or https://"));
        assert!(err("http://:4566").contains("names no host"));
        assert!(err("http://host:99999").contains("not a port number"));
        assert!(err("http://host:").contains("not a port number"));
        assert!(err("http://ho st").contains("a space"));
        assert!(err("").contains("empty"));
    }
}
