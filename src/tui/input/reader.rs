//! The terminal input reader: a thread that waits in poll(2) on the terminal (stdin when it is
//! a terminal, else /dev/tty, as crossterm reads it), on a self-pipe that stops it, and on a
//! pipe SIGWINCH writes to (each resize becomes an `Event::Resize` with the new size, which
//! the App redraws on). Everything one read completes goes to the run loop as one batch, so
//! `event.rs::read_ready` sees keys typed ahead together with the key before them (a
//! typed-ahead key never answers a dialog). A lone ESC is the Esc key when no byte follows it
//! within [`ESCAPE_TIMEOUT`].
//!
//! The terminal's answers to our questions (cursor position, kitty flags) are parsed like
//! keys but handed to whoever asked ([`InputReader::ask`]) instead of the run loop: asking
//! never stops the reader, and no key is lost or reordered around an answer. While the reader
//! is stopped (before it first starts, around the external editor and Ctrl+Z), `ask` reads
//! the terminal itself and passes any keys that came with the answer on to the run loop.
//!
//! Stopping ([`InputReader::stop`]) leaves unread bytes in the terminal for whoever reads it
//! next (the editor, the shell); the parser keeps an unfinished sequence for the next start.

use super::parse::{Input, InputParser, Reply};
use crate::tui::event::InputStream;
use crossterm::event::Event;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::sync::mpsc as sync_mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::Poll;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// How long a lone ESC waits for the rest of a sequence before it is the Esc key.
pub const ESCAPE_TIMEOUT: Duration = Duration::from_millis(30);
/// Most bytes taken from the terminal in one read.
const READ_SIZE: usize = 8192;

/// What the reader hands the run loop.
enum Delivery {
    /// Everything one read completed, in order.
    Events(Vec<Event>),
    Failed(io::Error),
    /// The terminal is gone (end of file).
    Ended,
}

/// Who waits for the terminal's answer, if anyone.
type ReplySlot = Arc<Mutex<Option<sync_mpsc::Sender<Reply>>>>;

/// The terminal and the parser's unfinished sequence: the reader thread's while it runs.
struct Terminal {
    tty: File,
    parser: InputParser,
}

struct Running {
    stop: UnixStream,
    thread: std::thread::JoinHandle<Terminal>,
}

/// Starts, stops and questions the reader; the run loop reads its [`InputStream`].
pub struct InputReader {
    /// Where questions to the terminal are written (stdout).
    questions: Box<dyn Write + Send>,
    deliveries: mpsc::UnboundedSender<Delivery>,
    replies: ReplySlot,
    stopped: Option<Terminal>,
    running: Option<Running>,
}

impl InputReader {
    /// Open the terminal (not yet read: see [`Self::start`]) and the stream of its events.
    pub fn open() -> io::Result<(Self, InputStream)> {
        let tty = if io::stdin().is_terminal() {
            File::from(io::stdin().as_fd().try_clone_to_owned()?)
        } else {
            File::open("/dev/tty")?
        };
        Ok(Self::over(tty, Box::new(io::stdout())))
    }

    /// A reader of `tty` that writes its questions to `questions`.
    fn over(tty: File, questions: Box<dyn Write + Send>) -> (Self, InputStream) {
        let (deliveries, receiver) = mpsc::unbounded_channel();
        let reader = Self {
            questions,
            deliveries,
            replies: Arc::default(),
            stopped: Some(Terminal {
                tty,
                parser: InputParser::new(),
            }),
            running: None,
        };
        (reader, event_stream(receiver))
    }

    /// Start reading on a thread (nothing when it already runs).
    pub fn start(&mut self) -> io::Result<()> {
        let Some(terminal) = self.stopped.take() else {
            return Ok(());
        };
        let (stop, stop_seen) = match UnixStream::pair() {
            Ok(pair) => pair,
            Err(e) => {
                self.stopped = Some(terminal);
                return Err(e);
            }
        };
        let deliveries = self.deliveries.clone();
        let replies = Arc::clone(&self.replies);
        let thread = std::thread::Builder::new()
            .name("terminal input".into())
            .spawn(move || read_until_stopped(terminal, &stop_seen, &deliveries, &replies))?;
        self.running = Some(Running { stop, thread });
        Ok(())
    }

    /// Stop reading and wait for the thread to end (nothing when it is not running).
    pub fn stop(&mut self) {
        let Some(mut running) = self.running.take() else {
            return;
        };
        let _ = running.stop.write_all(b"x");
        match running.thread.join() {
            Ok(terminal) => self.stopped = Some(terminal),
            Err(_) => tracing::error!("the terminal input thread panicked"),
        }
    }

    /// Write `question` to the terminal and hand its answers to `done` until it says it has
    /// what it wanted; gives up after `timeout` (`ErrorKind::TimedOut`).
    pub fn ask(
        &mut self,
        question: &[u8],
        timeout: Duration,
        mut done: impl FnMut(Reply) -> bool,
    ) -> io::Result<()> {
        let (sender, answers) = sync_mpsc::channel();
        if let Ok(mut slot) = self.replies.lock() {
            *slot = Some(sender);
        }
        let written = self
            .questions
            .write_all(question)
            .and_then(|()| self.questions.flush());
        let asked = written.and_then(|()| {
            let deadline = Instant::now() + timeout;
            match self.stopped.as_mut() {
                Some(terminal) => {
                    read_answer(terminal, deadline, &self.deliveries, &self.replies, || {
                        answers.try_iter().any(&mut done)
                    })
                }
                None => wait_for_answer(&answers, deadline, &mut done),
            }
        });
        if let Ok(mut slot) = self.replies.lock() {
            *slot = None;
        }
        asked
    }

    /// The row the cursor is on (0-based), asked of the terminal.
    pub fn cursor_row(&mut self, timeout: Duration) -> io::Result<u16> {
        let mut row = None;
        self.ask(b"\x1b[6n", timeout, |reply| match reply {
            Reply::CursorPosition { row: r, .. } => {
                row = Some(r);
                true
            }
            _ => false,
        })?;
        row.ok_or_else(|| io::Error::other("no cursor position"))
    }

    /// Whether the terminal speaks kitty's keyboard protocol: it answers the flags question
    /// before the device attributes one (which every terminal answers).
    pub fn supports_keyboard_enhancement(&mut self, timeout: Duration) -> io::Result<bool> {
        let mut flags = false;
        self.ask(b"\x1b[?u\x1b[c", timeout, |reply| match reply {
            Reply::KeyboardFlags(_) => {
                flags = true;
                false
            }
            Reply::DeviceAttributes => true,
            Reply::CursorPosition { .. } => false,
        })?;
        Ok(flags)
    }
}

impl Drop for InputReader {
    fn drop(&mut self) {
        self.stop();
    }
}

fn timed_out() -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        "the terminal did not answer in time",
    )
}

/// The reader runs: its thread hands the answers over.
fn wait_for_answer(
    answers: &sync_mpsc::Receiver<Reply>,
    deadline: Instant,
    done: &mut impl FnMut(Reply) -> bool,
) -> io::Result<()> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match answers.recv_timeout(left) {
            Ok(reply) if done(reply) => return Ok(()),
            Ok(_) => {}
            Err(_) => return Err(timed_out()),
        }
    }
}

/// The reader is stopped: read the terminal here until `answered`, passing keys on.
fn read_answer(
    terminal: &mut Terminal,
    deadline: Instant,
    deliveries: &mpsc::UnboundedSender<Delivery>,
    replies: &ReplySlot,
    mut answered: impl FnMut() -> bool,
) -> io::Result<()> {
    let mut buffer = [0u8; READ_SIZE];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(timed_out());
        }
        let millis = u16::try_from(left.as_millis().max(1)).unwrap_or(u16::MAX);
        let mut fds = [PollFd::new(terminal.tty.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(millis)) {
            Ok(0) | Err(nix::errno::Errno::EINTR) => continue,
            Ok(_) => {}
            Err(e) => return Err(e.into()),
        }
        match terminal.tty.read(&mut buffer) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => deliver(terminal, &buffer[..n], deliveries, replies),
            Err(e) if retry(&e) => {}
            Err(e) => return Err(e),
        }
        if answered() {
            return Ok(());
        }
    }
}

/// Parse `bytes`: events to the run loop (one batch), answers to whoever asked.
fn deliver(
    terminal: &mut Terminal,
    bytes: &[u8],
    deliveries: &mpsc::UnboundedSender<Delivery>,
    replies: &ReplySlot,
) {
    let mut inputs = Vec::new();
    terminal.parser.feed(bytes, &mut inputs);
    send(inputs, Vec::new(), deliveries, replies);
}

/// Send `inputs` after `events` already gathered (a resize).
fn send(
    inputs: Vec<Input>,
    mut events: Vec<Event>,
    deliveries: &mpsc::UnboundedSender<Delivery>,
    replies: &ReplySlot,
) {
    for input in inputs {
        match input {
            Input::Event(event) => events.push(event),
            Input::Reply(reply) => {
                let asker = replies.lock().ok().and_then(|slot| slot.clone());
                match asker {
                    Some(asker) => {
                        let _ = asker.send(reply);
                    }
                    None => tracing::debug!("an answer nobody waits for: {reply:?}"),
                }
            }
        }
    }
    if !events.is_empty() {
        let _ = deliveries.send(Delivery::Events(events));
    }
}

/// The pipe SIGWINCH writes a byte to (registered once per process).
fn resize_pipe() -> Option<&'static UnixStream> {
    static PIPE: OnceLock<Option<UnixStream>> = OnceLock::new();
    PIPE.get_or_init(|| {
        let register = || -> io::Result<UnixStream> {
            let (read, write) = UnixStream::pair()?;
            read.set_nonblocking(true)?;
            signal_hook::low_level::pipe::register(signal_hook::consts::SIGWINCH, write)?;
            Ok(read)
        };
        register()
            .inspect_err(|e| tracing::warn!("terminal resizes will not be noticed: {e}"))
            .ok()
    })
    .as_ref()
}

/// The reader thread: until `stop` is readable, read the terminal and deliver what it says.
fn read_until_stopped(
    mut terminal: Terminal,
    stop: &UnixStream,
    deliveries: &mpsc::UnboundedSender<Delivery>,
    replies: &ReplySlot,
) -> Terminal {
    let resizes = resize_pipe();
    let mut buffer = [0u8; READ_SIZE];
    loop {
        let timeout = if terminal.parser.waiting_on_escape() {
            PollTimeout::from(u16::try_from(ESCAPE_TIMEOUT.as_millis()).unwrap_or(u16::MAX))
        } else {
            PollTimeout::NONE
        };
        let mut fds = vec![
            PollFd::new(terminal.tty.as_fd(), PollFlags::POLLIN),
            PollFd::new(stop.as_fd(), PollFlags::POLLIN),
        ];
        if let Some(pipe) = resizes {
            fds.push(PollFd::new(pipe.as_fd(), PollFlags::POLLIN));
        }
        let ready = match poll(&mut fds, timeout) {
            Ok(ready) => ready,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => {
                let _ = deliveries.send(Delivery::Failed(e.into()));
                return terminal;
            }
        };
        if ready == 0 {
            // Nothing followed a lone ESC: it was the key.
            let mut inputs = Vec::new();
            terminal.parser.flush_escape(&mut inputs);
            send(inputs, Vec::new(), deliveries, replies);
            continue;
        }
        let readable = |fd: &PollFd| fd.revents().is_some_and(|r| !r.is_empty());
        let [tty_ready, stop_ready] = [readable(&fds[0]), readable(&fds[1])];
        let resized = fds.get(2).is_some_and(readable);
        drop(fds);
        if stop_ready {
            return terminal;
        }
        let mut events = Vec::new();
        if resized {
            drain(resizes);
            match crossterm::terminal::size() {
                Ok((columns, rows)) => events.push(Event::Resize(columns, rows)),
                Err(e) => tracing::debug!("resized, but the new size is unknown: {e}"),
            }
        }
        let mut inputs = Vec::new();
        if tty_ready {
            match terminal.tty.read(&mut buffer) {
                Ok(0) => {
                    send(inputs, events, deliveries, replies);
                    let _ = deliveries.send(Delivery::Ended);
                    return terminal;
                }
                Ok(n) => terminal.parser.feed(&buffer[..n], &mut inputs),
                Err(e) if retry(&e) => {}
                Err(e) => {
                    // A hung-up terminal reads EIO: that is its end, not a failure (the run
                    // loop then ends as it does on SIGHUP).
                    let gone = e.raw_os_error() == Some(libc::EIO);
                    let _ = deliveries.send(if gone {
                        Delivery::Ended
                    } else {
                        Delivery::Failed(e)
                    });
                    return terminal;
                }
            }
        }
        send(inputs, events, deliveries, replies);
    }
}

/// A read that found nothing this time (interrupted, or the bytes were taken first).
fn retry(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock
    )
}

/// Empty the resize pipe (many resizes in a row are one event).
fn drain(pipe: Option<&UnixStream>) {
    let Some(mut pipe) = pipe else { return };
    let mut sink = [0u8; 64];
    while matches!(pipe.read(&mut sink), Ok(n) if n > 0) {}
}

/// The run loop's side: events one by one, each read's batch without a pause in between.
fn event_stream(mut receiver: mpsc::UnboundedReceiver<Delivery>) -> InputStream {
    let mut ready: VecDeque<Event> = VecDeque::new();
    Box::pin(futures::stream::poll_fn(move |cx| {
        loop {
            if let Some(event) = ready.pop_front() {
                return Poll::Ready(Some(Ok(event)));
            }
            match receiver.poll_recv(cx) {
                Poll::Ready(Some(Delivery::Events(events))) => ready.extend(events),
                Poll::Ready(Some(Delivery::Failed(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Delivery::Ended) | None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }))
}

#[cfg(test)]
#[path = "reader_tests.rs"]
mod tests;
