//! Job schedules: five-field cron (parsed and evaluated by the `croner` crate, which handles
//! ranges, steps, names and daylight-saving gaps), the `@hourly`/`@daily`/`@weekly` aliases, and
//! `@every DURATION` (at least one second). Next-run computation is pure: it takes "now" and
//! the time zone, so it is table-tested; the worker calls it with local time.

use chrono::{DateTime, TimeZone, Utc};
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use std::time::Duration;

/// What the CLI prints for a schedule it cannot read.
pub const ACCEPTED_FORMS: &str = "use a five-field cron expression (\"*/5 * * * *\"), @hourly, @daily, @weekly, or @every DURATION (\"@every 30s\", \"@every 5m\", \"@every 1h\", at least 1s)";

/// A parsed schedule.
#[derive(Debug, Clone)]
pub enum Schedule {
    Cron(Box<Cron>),
    Every(Duration),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad schedule `{spec}`: {reason}; {ACCEPTED_FORMS}")]
pub struct ScheduleError {
    pub spec: String,
    pub reason: String,
}

impl Schedule {
    pub fn parse(spec: &str) -> Result<Self, ScheduleError> {
        let bad = |reason: &str| ScheduleError {
            spec: spec.to_string(),
            reason: reason.to_string(),
        };
        let spec_trimmed = spec.trim();
        let cron_text = match spec_trimmed {
            "@hourly" => "0 * * * *",
            "@daily" | "@midnight" => "0 0 * * *",
            "@weekly" => "0 0 * * 0",
            s if s.starts_with("@every") => {
                let rest = s.trim_start_matches("@every").trim();
                let every = parse_duration(rest).ok_or_else(|| bad("unreadable duration"))?;
                if every < Duration::from_secs(1) {
                    return Err(bad("the interval must be at least 1s"));
                }
                return Ok(Schedule::Every(every));
            }
            s if s.starts_with('@') => return Err(bad("unknown alias")),
            s => s,
        };
        if cron_text.split_whitespace().count() != 5 {
            return Err(bad("a cron expression has exactly five fields"));
        }
        let parser = CronParser::builder()
            .seconds(Seconds::Disallowed)
            .year(Year::Disallowed)
            .build();
        let cron = parser.parse(cron_text).map_err(|e| bad(&e.to_string()))?;
        Ok(Schedule::Cron(Box::new(cron)))
    }

    /// The first run strictly after `now`, in `now`'s time zone. `None` when a cron expression
    /// has no future occurrence (e.g. February 30th).
    pub fn next_after<Tz: TimeZone>(&self, now: &DateTime<Tz>) -> Option<DateTime<Utc>> {
        match self {
            Schedule::Every(every) => {
                let step = chrono::Duration::from_std(*every).ok()?;
                Some(now.with_timezone(&Utc) + step)
            }
            Schedule::Cron(cron) => cron
                .find_next_occurrence(now, false)
                .ok()
                .map(|t| t.with_timezone(&Utc)),
        }
    }
}

/// `90s`, `5m`, `1h30m`, `2d`, `500ms`; a bare number is seconds.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(secs) = text.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let part = match unit {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.checked_mul(60)?),
            "h" => Duration::from_secs(n.checked_mul(3600)?),
            "d" => Duration::from_secs(n.checked_mul(86_400)?),
            _ => return None,
        };
        total = total.checked_add(part)?;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    fn at(tz: &FixedOffset, text: &str) -> DateTime<FixedOffset> {
        let naive = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap();
        tz.from_local_datetime(&naive).single().unwrap()
    }

    #[test]
    fn accepted_and_refused_specs() {
        let table: &[(&str, bool)] = &[
            ("*/5 * * * *", true),
            ("0 9 * * MON-FRI", true),
            ("30 2 1 * *", true),
            ("@hourly", true),
            ("@daily", true),
            ("@weekly", true),
            ("@every 1s", true),
            ("@every 90s", true),
            ("@every 1h30m", true),
            ("@every 0s", false),
            ("@every 500ms", false),
            ("@every", false),
            ("@every soon", false),
            ("@yearly-ish", false),
            ("* * * *", false),
            ("0 * * * * *", false),
            ("61 * * * *", false),
            ("* 25 * * *", false),
            ("hello world", false),
            ("", false),
        ];
        for (spec, ok) in table {
            assert_eq!(Schedule::parse(spec).is_ok(), *ok, "spec {spec:?}");
        }
    }

    #[test]
    fn the_error_names_the_accepted_forms() {
        let e = Schedule::parse("every day").unwrap_err().to_string();
        assert!(e.contains("every day") && e.contains("@every") && e.contains("five-field"));
        assert!(!e.contains('\n'));
    }

    #[test]
    fn next_runs_in_the_given_time_zone() {
        let utc = FixedOffset::east_opt(0).unwrap();
        let paris = FixedOffset::east_opt(3600).unwrap();
        // (spec, zone, now, expected next in that zone)
        let table: &[(&str, &FixedOffset, &str, &str)] = &[
            (
                "*/5 * * * *",
                &utc,
                "2026-03-10 10:02:30",
                "2026-03-10 10:05:00",
            ),
            (
                "*/5 * * * *",
                &utc,
                "2026-03-10 10:05:00",
                "2026-03-10 10:10:00",
            ),
            (
                "@hourly",
                &utc,
                "2026-03-10 10:59:59",
                "2026-03-10 11:00:00",
            ),
            ("@daily", &utc, "2026-03-10 23:00:00", "2026-03-11 00:00:00"),
            (
                "@daily",
                &paris,
                "2026-03-10 23:30:00",
                "2026-03-11 00:00:00",
            ),
            // 2026-03-10 is a Tuesday; the next Sunday midnight is the 15th.
            (
                "@weekly",
                &utc,
                "2026-03-10 12:00:00",
                "2026-03-15 00:00:00",
            ),
            (
                "0 9 * * 1-5",
                &paris,
                "2026-03-13 09:00:00",
                "2026-03-16 09:00:00",
            ),
            (
                "30 2 1 * *",
                &utc,
                "2026-12-15 00:00:00",
                "2027-01-01 02:30:00",
            ),
            (
                "@every 1s",
                &utc,
                "2026-03-10 10:00:00",
                "2026-03-10 10:00:01",
            ),
            (
                "@every 1h30m",
                &paris,
                "2026-03-10 23:00:00",
                "2026-03-11 00:30:00",
            ),
        ];
        for (spec, tz, now, want) in table {
            let schedule = Schedule::parse(spec).unwrap();
            let next = schedule.next_after(&at(tz, now)).unwrap();
            assert_eq!(next, at(tz, want).with_timezone(&Utc), "{spec} from {now}");
        }
    }

    #[test]
    fn durations() {
        let table: &[(&str, Option<u64>)] = &[
            ("30", Some(30_000)),
            ("30s", Some(30_000)),
            ("5m", Some(300_000)),
            ("1h30m", Some(5_400_000)),
            ("2d", Some(172_800_000)),
            ("250ms", Some(250)),
            ("", None),
            ("s", None),
            ("5x", None),
            ("-5s", None),
        ];
        for (text, ms) in table {
            let got = parse_duration(text).map(|d| d.as_millis() as u64);
            assert_eq!(got, *ms, "{text:?}");
        }
    }
}
