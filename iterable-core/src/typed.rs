//! The typed values that typed formats carry (Parquet, Arrow, Avro, databases): dates, times,
//! timestamps, durations and decimals, with the text every text format writes them as.
//!
//! | type | as text |
//! |---|---|
//! | [`Date`] | `2024-01-31` |
//! | [`Time`] | `13:45:00.25` (the fraction as long as it needs to be) |
//! | [`Timestamp`] with a time zone | RFC 3339 in UTC: `2024-01-31T13:45:00.25Z` |
//! | [`Timestamp`] without one | the same without a suffix: `2024-01-31T13:45:00.25` |
//! | [`Duration`] | ISO 8601 seconds: `PT90.5S`, `-PT0.001S` |
//! | [`Decimal`] | its exact digits: `-1234.50` (in JSON, a number) |

use std::fmt;
use std::sync::Arc;

/// The unit of a [`Time`], a [`Timestamp`] or a [`Duration`]: what one step of its value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TimeUnit {
    /// Seconds.
    Second,
    /// Milliseconds.
    Millisecond,
    /// Microseconds.
    Microsecond,
    /// Nanoseconds.
    Nanosecond,
}

impl TimeUnit {
    /// How many steps of this unit make a second.
    pub fn per_second(self) -> i64 {
        match self {
            TimeUnit::Second => 1,
            TimeUnit::Millisecond => 1_000,
            TimeUnit::Microsecond => 1_000_000,
            TimeUnit::Nanosecond => 1_000_000_000,
        }
    }

    /// `s`, `ms`, `us`, `ns`.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeUnit::Second => "s",
            TimeUnit::Millisecond => "ms",
            TimeUnit::Microsecond => "us",
            TimeUnit::Nanosecond => "ns",
        }
    }
}

/// A calendar date: days since 1970-01-01 (the proleptic Gregorian calendar, as Arrow and
/// Parquet count them).
///
/// ```
/// use iterable_core::Date;
/// let d = Date::from_ymd(2024, 1, 31).unwrap();
/// assert_eq!(d.to_string(), "2024-01-31");
/// assert_eq!(d.days(), 19753);
/// assert_eq!(Date::from_ymd(2023, 2, 29), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date(i32);

impl Date {
    /// The date `days` after 1970-01-01 (before it when negative).
    pub fn from_days(days: i32) -> Date {
        Date(days)
    }

    /// The date of a year, month (1-12) and day (1-31); `None` when there is no such day.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        i32::try_from(days_from_civil(i64::from(year), month, day))
            .ok()
            .map(Date)
    }

    /// Days since 1970-01-01.
    pub fn days(self) -> i32 {
        self.0
    }

    /// The year, month (1-12) and day (1-31).
    pub fn ymd(self) -> (i64, u32, u32) {
        civil_from_days(i64::from(self.0))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_date(f, i64::from(self.0))
    }
}

/// A time of day: `value` steps of `unit` since midnight.
///
/// ```
/// use iterable_core::{Time, TimeUnit};
/// let t = Time::new(49_500_250, TimeUnit::Millisecond);
/// assert_eq!(t.to_string(), "13:45:00.25");
/// assert_eq!(Time::new(0, TimeUnit::Second).to_string(), "00:00:00");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Time {
    value: i64,
    unit: TimeUnit,
}

impl Time {
    /// `value` steps of `unit` since midnight.
    pub fn new(value: i64, unit: TimeUnit) -> Time {
        Time { value, unit }
    }

    /// Steps of [`Time::unit`] since midnight.
    pub fn value(self) -> i64 {
        self.value
    }

    /// The unit of [`Time::value`].
    pub fn unit(self) -> TimeUnit {
        self.unit
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let per = self.unit.per_second();
        let (secs, frac) = (self.value.div_euclid(per), self.value.rem_euclid(per));
        write_clock(f, secs.rem_euclid(86_400))?;
        write_fraction(f, frac, self.unit)
    }
}

/// An instant or a wall-clock time: `value` steps of `unit` since 1970-01-01T00:00:00.
///
/// With a time zone (`"UTC"`, `"Europe/Oslo"`, `"+02:00"`), the value counts from the epoch in
/// UTC and the zone says where it was observed; without one, it is a local date and time of
/// no given zone (as in Arrow and Parquet). As text it is RFC 3339: in UTC with `Z` when it has
/// a zone, without a suffix when not.
///
/// ```
/// use iterable_core::{Timestamp, TimeUnit};
/// let utc = Timestamp::new(1_706_708_700_250, TimeUnit::Millisecond, Some("Europe/Oslo".into()));
/// assert_eq!(utc.to_string(), "2024-01-31T13:45:00.25Z");
/// let local = Timestamp::new(1_706_708_700, TimeUnit::Second, None);
/// assert_eq!(local.to_string(), "2024-01-31T13:45:00");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Timestamp {
    value: i64,
    unit: TimeUnit,
    zone: Option<Arc<str>>,
}

impl Timestamp {
    /// `value` steps of `unit` since the epoch, in time zone `zone` (or none).
    pub fn new(value: i64, unit: TimeUnit, zone: Option<Arc<str>>) -> Timestamp {
        Timestamp { value, unit, zone }
    }

    /// `nanos` nanoseconds since the epoch: in nanoseconds when they fit 64 bits (until 2262),
    /// else in microseconds when they are whole ones and fit; `None` otherwise.
    ///
    /// ```
    /// use iterable_core::{Timestamp, TimeUnit};
    /// let soon = Timestamp::from_nanos(1_500, None).unwrap();
    /// assert_eq!((soon.value(), soon.unit()), (1_500, TimeUnit::Nanosecond));
    /// let year_3000 = Timestamp::from_nanos(32_503_680_000_000_000_000, None).unwrap();
    /// assert_eq!(year_3000.to_string(), "3000-01-01T00:00:00");
    /// assert!(Timestamp::from_nanos(32_503_680_000_000_000_001, None).is_none());
    /// ```
    pub fn from_nanos(nanos: i128, zone: Option<Arc<str>>) -> Option<Timestamp> {
        if let Ok(value) = i64::try_from(nanos) {
            return Some(Timestamp::new(value, TimeUnit::Nanosecond, zone));
        }
        let micros = i64::try_from(nanos / 1_000)
            .ok()
            .filter(|_| nanos % 1_000 == 0)?;
        Some(Timestamp::new(micros, TimeUnit::Microsecond, zone))
    }

    /// Steps of [`Timestamp::unit`] since the epoch.
    pub fn value(&self) -> i64 {
        self.value
    }

    /// The unit of [`Timestamp::value`].
    pub fn unit(&self) -> TimeUnit {
        self.unit
    }

    /// The time zone, when it has one.
    pub fn zone(&self) -> Option<&str> {
        self.zone.as_deref()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let per = self.unit.per_second();
        let (secs, frac) = (self.value.div_euclid(per), self.value.rem_euclid(per));
        write_date(f, secs.div_euclid(86_400))?;
        f.write_str("T")?;
        write_clock(f, secs.rem_euclid(86_400))?;
        write_fraction(f, frac, self.unit)?;
        if self.zone.is_some() {
            f.write_str("Z")?;
        }
        Ok(())
    }
}

/// A length of time: `value` steps of `unit`.
///
/// ```
/// use iterable_core::{Duration, TimeUnit};
/// assert_eq!(Duration::new(90_500, TimeUnit::Millisecond).to_string(), "PT90.5S");
/// assert_eq!(Duration::new(-1, TimeUnit::Millisecond).to_string(), "-PT0.001S");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Duration {
    value: i64,
    unit: TimeUnit,
}

impl Duration {
    /// `value` steps of `unit`.
    pub fn new(value: i64, unit: TimeUnit) -> Duration {
        Duration { value, unit }
    }

    /// Steps of [`Duration::unit`].
    pub fn value(self) -> i64 {
        self.value
    }

    /// The unit of [`Duration::value`].
    pub fn unit(self) -> TimeUnit {
        self.unit
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let magnitude = self.value.unsigned_abs();
        let per = self.unit.per_second().unsigned_abs();
        if self.value < 0 {
            f.write_str("-")?;
        }
        write!(f, "PT{}", magnitude / per)?;
        write_fraction(f, (magnitude % per) as i64, self.unit)?;
        f.write_str("S")
    }
}

/// An exact decimal number: `unscaled × 10^-scale`, with the precision (digits in all) its
/// type allows.
///
/// ```
/// use iterable_core::Decimal;
/// assert_eq!(Decimal::new(-123450, 10, 3).to_string(), "-123.450");
/// assert_eq!(Decimal::new(5, 4, 3).to_string(), "0.005");
/// assert_eq!(Decimal::new(12, 5, -2).to_string(), "1200");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decimal {
    /// The unscaled value's halves (an `i128` would align `Value` to 16 bytes).
    high: i64,
    low: u64,
    precision: u8,
    scale: i8,
}

impl Decimal {
    /// `unscaled × 10^-scale`, of `precision` digits at most.
    pub fn new(unscaled: i128, precision: u8, scale: i8) -> Decimal {
        Decimal {
            high: (unscaled >> 64) as i64,
            low: unscaled as u64,
            precision,
            scale,
        }
    }

    /// The value without its decimal point.
    pub fn unscaled(self) -> i128 {
        (i128::from(self.high) << 64) | i128::from(self.low)
    }

    /// How many digits its type holds.
    pub fn precision(self) -> u8 {
        self.precision
    }

    /// How many of them come after the decimal point (before it, when negative).
    pub fn scale(self) -> i8 {
        self.scale
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unscaled = self.unscaled();
        let digits = unscaled.unsigned_abs().to_string();
        if unscaled < 0 {
            f.write_str("-")?;
        }
        if self.scale <= 0 {
            f.write_str(&digits)?;
            for _ in 0..self.scale.unsigned_abs() {
                f.write_str("0")?;
            }
            return Ok(());
        }
        let scale = usize::from(self.scale.unsigned_abs());
        if digits.len() > scale {
            let (whole, frac) = digits.split_at(digits.len() - scale);
            write!(f, "{whole}.{frac}")
        } else {
            write!(f, "0.{}{digits}", "0".repeat(scale - digits.len()))
        }
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(i64::from(year)) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let month = i64::from(month);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of `days` since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn write_date(f: &mut fmt::Formatter<'_>, days: i64) -> fmt::Result {
    let (year, month, day) = civil_from_days(days);
    if (0..=9999).contains(&year) {
        write!(f, "{year:04}-{month:02}-{day:02}")
    } else {
        // ISO 8601's expanded years: a sign and at least four digits.
        let sign = if year < 0 { '-' } else { '+' };
        write!(f, "{sign}{:04}-{month:02}-{day:02}", year.unsigned_abs())
    }
}

fn write_clock(f: &mut fmt::Formatter<'_>, secs: i64) -> fmt::Result {
    write!(
        f,
        "{:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// `.fraction` of a second, without trailing zeros; nothing when it is zero.
fn write_fraction(f: &mut fmt::Formatter<'_>, frac: i64, unit: TimeUnit) -> fmt::Result {
    if frac == 0 {
        return Ok(());
    }
    let width = match unit {
        TimeUnit::Second => return Ok(()),
        TimeUnit::Millisecond => 3,
        TimeUnit::Microsecond => 6,
        TimeUnit::Nanosecond => 9,
    };
    let text = format!("{frac:0width$}");
    write!(f, ".{}", text.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_through_the_calendar() {
        for days in [-719_468, -1, 0, 1, 59, 10_956, 19_753, 2_932_896] {
            let date = Date::from_days(days);
            let (y, m, d) = date.ymd();
            assert_eq!(Date::from_ymd(y as i32, m, d), Some(date), "{days}");
        }
        assert_eq!(Date::from_days(-1).to_string(), "1969-12-31");
        assert_eq!(
            Date::from_ymd(2000, 2, 29).unwrap().to_string(),
            "2000-02-29"
        );
        assert_eq!(Date::from_days(-719_469).to_string(), "0000-02-29");
        assert_eq!(Date::from_days(-719_529).to_string(), "-0001-12-31");
        assert_eq!(Date::from_days(2_932_897).to_string(), "+10000-01-01");
    }

    #[test]
    fn times_and_timestamps_before_the_epoch() {
        let t = Timestamp::new(-1, TimeUnit::Microsecond, None);
        assert_eq!(t.to_string(), "1969-12-31T23:59:59.999999");
        let t = Timestamp::new(0, TimeUnit::Nanosecond, Some("UTC".into()));
        assert_eq!(t.to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(
            Time::new(1, TimeUnit::Nanosecond).to_string(),
            "00:00:00.000000001"
        );
    }

    #[test]
    fn decimals_keep_their_digits() {
        assert_eq!(Decimal::new(0, 5, 2).to_string(), "0.00");
        assert_eq!(Decimal::new(-5, 5, 2).to_string(), "-0.05");
        assert_eq!(
            Decimal::new(i128::MIN, 38, 0).to_string(),
            i128::MIN.to_string()
        );
    }
}
