//! Terminal input, read by harness itself instead of crossterm's `EventStream`: crossterm's
//! private parser drops xterm's modifyOtherKeys keys (`ESC [ 27 ; 2 ; 13 ~`, Shift+Enter from
//! tmux before 3.5, xterm, Ghostty, foot) and holds the cursor-position answer back behind
//! its reader. [`parse`] turns bytes into crossterm's event types (so the App is unchanged)
//! and the terminal's answers into [`Reply`]s; [`reader`] runs it on a thread over the
//! terminal, stoppable for the external editor and Ctrl+Z, and answers questions while it
//! runs. [`keys`] and [`csi`] hold the tables the parser looks keys up in.

mod csi;
mod keys;
pub mod parse;
pub mod reader;

pub use parse::{Input, InputParser, Reply};
pub use reader::InputReader;
