//! The reader over a socket pair standing in for the terminal: batches, the Esc timeout,
//! questions answered while it runs and while it is stopped (keys around the answer kept, in
//! order), stop and restart leaving unread bytes alone, and the end of the terminal.

use super::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use futures::{FutureExt, StreamExt};
use std::os::fd::OwnedFd;

/// The terminal's side: what it writes reaches the reader; each question written to it is
/// answered with `answer`.
struct FakeTerminal {
    to_app: UnixStream,
    answer: Vec<u8>,
}

impl Write for FakeTerminal {
    fn write(&mut self, question: &[u8]) -> io::Result<usize> {
        self.to_app.write_all(&self.answer)?;
        Ok(question.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn reader_with_answer(answer: &[u8]) -> (InputReader, InputStream, UnixStream) {
    let (app_side, terminal_side) = UnixStream::pair().expect("socket pair");
    let questions = FakeTerminal {
        to_app: terminal_side.try_clone().expect("clone"),
        answer: answer.to_vec(),
    };
    let tty = File::from(OwnedFd::from(app_side));
    let (reader, stream) = InputReader::over(tty, Box::new(questions));
    (reader, stream, terminal_side)
}

fn key(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

async fn next(stream: &mut InputStream) -> Option<Event> {
    tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("an event within 5 s")
        .map(|event| event.expect("no read error"))
}

/// Every event already delivered, without waiting.
fn ready_now(stream: &mut InputStream) -> Vec<Event> {
    let mut events = Vec::new();
    while let Some(Some(Ok(event))) = stream.next().now_or_never() {
        events.push(event);
    }
    events
}

#[tokio::test]
async fn one_read_is_delivered_as_one_batch_in_order() {
    let (mut reader, mut stream, mut terminal) = reader_with_answer(b"");
    reader.start().expect("start");
    terminal.write_all(b"ab\x1b[13;2uc").expect("write");
    let first = next(&mut stream).await;
    assert_eq!(first, Some(key('a')));
    let rest = ready_now(&mut stream);
    let shift_enter = Event::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::SHIFT));
    assert_eq!(rest, vec![key('b'), shift_enter, key('c')]);
}

#[tokio::test]
async fn a_lone_escape_becomes_the_esc_key_after_the_timeout() {
    let (mut reader, mut stream, mut terminal) = reader_with_answer(b"");
    reader.start().expect("start");
    let sent = Instant::now();
    terminal.write_all(b"\x1b").expect("write");
    let esc = next(&mut stream).await;
    assert_eq!(esc, Some(Event::Key(KeyCode::Esc.into())));
    assert!(sent.elapsed() >= ESCAPE_TIMEOUT);
    terminal.write_all(b"\x1b[A").expect("write");
    assert_eq!(
        next(&mut stream).await,
        Some(Event::Key(KeyCode::Up.into()))
    );
}

#[tokio::test]
async fn a_question_is_answered_while_the_reader_runs_and_no_key_is_lost() {
    let (mut reader, mut stream, _terminal) = reader_with_answer(b"x\x1b[7;3Ry");
    reader.start().expect("start");
    let row = reader.cursor_row(Duration::from_secs(5)).expect("answered");
    assert_eq!(row, 6);
    assert_eq!(next(&mut stream).await, Some(key('x')));
    assert_eq!(next(&mut stream).await, Some(key('y')));
    assert!(ready_now(&mut stream).is_empty(), "the answer is no key");
}

#[tokio::test]
async fn a_question_is_answered_while_the_reader_is_stopped_and_keys_wait_for_the_loop() {
    let (mut reader, mut stream, _terminal) = reader_with_answer(b"x\x1b[2;1Ry");
    let row = reader.cursor_row(Duration::from_secs(5)).expect("answered");
    assert_eq!(row, 1);
    assert_eq!(ready_now(&mut stream), vec![key('x'), key('y')]);
}

#[tokio::test]
async fn an_unanswered_question_times_out_and_a_late_answer_is_no_key() {
    let (mut reader, mut stream, mut terminal) = reader_with_answer(b"");
    reader.start().expect("start");
    let asked = reader.cursor_row(Duration::from_millis(50));
    assert_eq!(asked.map_err(|e| e.kind()), Err(io::ErrorKind::TimedOut));
    terminal.write_all(b"\x1b[5;5Rz").expect("write");
    assert_eq!(next(&mut stream).await, Some(key('z')));
}

#[tokio::test]
async fn kitty_support_is_the_flags_answer_before_the_attributes_one() {
    let (mut kitty, _stream, _terminal) = reader_with_answer(b"\x1b[?1u\x1b[?62c");
    assert!(
        kitty
            .supports_keyboard_enhancement(Duration::from_secs(5))
            .expect("answered")
    );
    let (mut plain, _stream, _terminal) = reader_with_answer(b"\x1b[?62;22c");
    assert!(
        !plain
            .supports_keyboard_enhancement(Duration::from_secs(5))
            .expect("answered")
    );
}

#[tokio::test]
async fn a_stopped_reader_leaves_the_bytes_for_the_next_reader() {
    let (mut reader, mut stream, mut terminal) = reader_with_answer(b"");
    reader.start().expect("start");
    terminal.write_all(b"a").expect("write");
    assert_eq!(next(&mut stream).await, Some(key('a')));
    reader.stop();
    terminal.write_all(b"b").expect("write");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        ready_now(&mut stream).is_empty(),
        "nothing is read while stopped"
    );
    reader.start().expect("restart");
    assert_eq!(next(&mut stream).await, Some(key('b')));
}

#[tokio::test]
async fn the_stream_ends_when_the_terminal_does() {
    let (app_side, terminal) = UnixStream::pair().expect("socket pair");
    let tty = File::from(OwnedFd::from(app_side));
    let (mut reader, mut stream) = InputReader::over(tty, Box::new(io::sink()));
    reader.start().expect("start");
    drop(terminal);
    assert_eq!(next(&mut stream).await, None);
}
