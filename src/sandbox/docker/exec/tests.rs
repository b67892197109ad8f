use super::*;

#[test]
fn status_lines_table() {
    let n = "abc";
    let cases: [(&str, StatusReport); 7] = [
        (
            "HARNESS-START abc 0\nHARNESS-STATUS abc 3 0 0\n",
            StatusReport {
                exit: Some(3),
                oom_before: Some(0),
                ..Default::default()
            },
        ),
        (
            // The wrapper died after starting the command: it started, with this OOM count.
            "HARNESS-START abc 4\n",
            StatusReport {
                oom_before: Some(4),
                ..Default::default()
            },
        ),
        (
            // A start line forged by the command (wrong nonce) does not count.
            "HARNESS-START xyz 4\n",
            StatusReport {
                other: "\nHARNESS-START xyz 4".into(),
                ..Default::default()
            },
        ),
        (
            "HARNESS-TIMEOUT abc\nKilled\nHARNESS-STATUS abc 137 2 2\n",
            StatusReport {
                exit: Some(137),
                timed_out: true,
                oom_before: Some(2),
                oom_after: 2,
                ..Default::default()
            },
        ),
        (
            "HARNESS-STATUS abc 0 0 0\nHARNESS-STATUS abc 137 0 1\n",
            StatusReport {
                exit: Some(137),
                oom_before: Some(0),
                oom_after: 1,
                ..Default::default()
            },
        ),
        (
            "HARNESS-STATUS xyz 0 0 0\nHARNESS-TIMEOUT xyz\n",
            StatusReport {
                other: "\nHARNESS-STATUS xyz 0 0 0\nHARNESS-TIMEOUT xyz".into(),
                ..Default::default()
            },
        ),
        (
            "sh: setsid: oops\n",
            StatusReport {
                other: "\nsh: setsid: oops".into(),
                ..Default::default()
            },
        ),
    ];
    for (input, expected) in cases {
        let mut s = StatusLines::new(n);
        for chunk in input.as_bytes().chunks(5) {
            s.push(chunk);
        }
        assert_eq!(s.finish(), expected, "{input:?}");
    }
}

#[test]
fn status_lines_stay_bounded_and_keep_the_end() {
    let mut s = StatusLines::new("n");
    for _ in 0..10_000 {
        s.push(b"noise noise noise\n");
    }
    s.push(b"HARNESS-STATUS n 4 0 0\n");
    assert!(s.bytes.len() <= STATUS_CAP);
    assert_eq!(s.finish().exit, Some(4));
}

#[test]
fn live_decoder_never_splits_a_character() {
    let text = "aé€😀z";
    let bytes = text.as_bytes();
    for split in 0..bytes.len() {
        let mut d = LiveDecoder::default();
        let joined = d.decode(&bytes[..split]) + &d.decode(&bytes[split..]);
        assert_eq!(joined, text, "split at {split}");
    }
    let mut d = LiveDecoder::default();
    assert_eq!(d.decode(b"\xffok"), "\u{FFFD}ok");
}

#[test]
fn container_gone_table() {
    let cases = [
        (404, "No such container: abc", true),
        (409, "Container abc is paused, unpause the container", true),
        (
            500,
            "Container abc is not running: Exited (127) 1 second ago",
            true,
        ),
        (
            500,
            "Container abc is restarting, wait until it is running",
            true,
        ),
        (500, "OCI runtime exec failed", false),
        (400, "bad parameter", false),
    ];
    for (status, message, expected) in cases {
        assert_eq!(
            container_gone(status, message),
            expected,
            "{status} {message}"
        );
    }
}

#[test]
fn shell_durations() {
    assert_eq!(shell_duration(Duration::from_secs(120)), "120");
    assert_eq!(shell_duration(Duration::from_millis(2500)), "2.500");
    assert_eq!(shell_duration(Duration::from_millis(5)), "0.005");
}
