//! Health checks and quarantine: temperatures, symptoms, and the state machines of a quarantine
//! episode and of a transfer to a centralized observation site.

use serde::{Deserialize, Serialize};

/// A body temperature in tenths of a degree Celsius, within what a thermometer on a living person
/// reads (34.0–43.0 °C); anything else is a typing slip.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Temperature(i64);

/// 37.3 °C and above is a fever (发热), as screening in 2020 counted it.
pub const FEVER_TENTHS: i64 = 373;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a body temperature is between 34.0 and 43.0 °C")]
pub struct TemperatureError;

impl Temperature {
    pub fn from_celsius(c: f64) -> Result<Temperature, TemperatureError> {
        if !c.is_finite() || !(34.0..=43.0).contains(&c) {
            return Err(TemperatureError);
        }
        Ok(Temperature((c * 10.0).round() as i64))
    }
    /// A reading as typed on a phone: a comma (or a full-width comma or stop) as the decimal
    /// point, as many keyboards give it, and a trailing ℃ or °C allowed.
    pub fn parse(typed: &str) -> Result<Temperature, TemperatureError> {
        let t = typed.trim();
        let t = t
            .strip_suffix('℃')
            .or_else(|| t.strip_suffix("°C"))
            .or_else(|| t.strip_suffix('°'))
            .unwrap_or(t)
            .trim();
        let t: String = t
            .chars()
            .map(|c| match c {
                ',' | '，' | '。' | '．' => '.',
                c => c,
            })
            .collect();
        let c: f64 = t.parse().map_err(|_| TemperatureError)?;
        Temperature::from_celsius(c)
    }
    pub fn from_tenths(t: i64) -> Temperature {
        Temperature(t)
    }
    pub fn tenths(self) -> i64 {
        self.0
    }
    pub fn celsius(self) -> f64 {
        self.0 as f64 / 10.0
    }
    pub fn is_fever(self) -> bool {
        self.0 >= FEVER_TENTHS
    }
}

/// Symptoms that screening asks about; any of them opens an alert.
pub const SYMPTOMS: [&str; 9] = [
    "cough",
    "sore_throat",
    "fatigue",
    "shortness_of_breath",
    "diarrhea",
    "loss_of_taste_or_smell",
    "muscle_ache",
    "headache",
    "chills",
];

pub fn is_symptom(s: &str) -> bool {
    SYMPTOMS.contains(&s)
}

/// Where a check was taken.
pub const SOURCES: [&str; 4] = ["door", "gate", "self", "phone"];

/// The length of an episode of isolation when no end is given: 14 days, the incubation period the
/// prevention rules of 2020 counted.
pub const QUARANTINE_DEFAULT_DAYS: u64 = 14;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuarantineKind {
    Home,
    Centralized,
    Hospital,
}

impl QuarantineKind {
    pub fn parse(s: &str) -> Option<QuarantineKind> {
        match s {
            "home" => Some(QuarantineKind::Home),
            "centralized" => Some(QuarantineKind::Centralized),
            "hospital" => Some(QuarantineKind::Hospital),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            QuarantineKind::Home => "home",
            QuarantineKind::Centralized => "centralized",
            QuarantineKind::Hospital => "hospital",
        }
    }
}

/// planned → active → released | transferred; a planned episode may also be released (called off).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuarantineStatus {
    Planned,
    Active,
    Released,
    Transferred,
}

impl QuarantineStatus {
    pub const ALL: [QuarantineStatus; 4] = [
        QuarantineStatus::Planned,
        QuarantineStatus::Active,
        QuarantineStatus::Released,
        QuarantineStatus::Transferred,
    ];
    pub fn parse(s: &str) -> Option<QuarantineStatus> {
        QuarantineStatus::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            QuarantineStatus::Planned => "planned",
            QuarantineStatus::Active => "active",
            QuarantineStatus::Released => "released",
            QuarantineStatus::Transferred => "transferred",
        }
    }
    pub fn can_become(self, to: QuarantineStatus) -> bool {
        use QuarantineStatus::*;
        matches!(
            (self, to),
            (Planned, Active) | (Planned, Released) | (Active, Released) | (Active, Transferred)
        )
    }
    pub fn is_open(self) -> bool {
        matches!(self, QuarantineStatus::Planned | QuarantineStatus::Active)
    }
}

/// notified → picked up → admitted → released, one step at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferStatus {
    Notified,
    PickedUp,
    Admitted,
    Released,
}

impl TransferStatus {
    pub const ALL: [TransferStatus; 4] = [
        TransferStatus::Notified,
        TransferStatus::PickedUp,
        TransferStatus::Admitted,
        TransferStatus::Released,
    ];
    pub fn parse(s: &str) -> Option<TransferStatus> {
        TransferStatus::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            TransferStatus::Notified => "notified",
            TransferStatus::PickedUp => "picked_up",
            TransferStatus::Admitted => "admitted",
            TransferStatus::Released => "released",
        }
    }
    pub fn next(self) -> Option<TransferStatus> {
        use TransferStatus::*;
        match self {
            Notified => Some(PickedUp),
            PickedUp => Some(Admitted),
            Admitted => Some(Released),
            Released => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reading_is_taken_as_a_phone_types_it() {
        for typed in [
            "36.8", " 36,8 ", "36，8", "36。8", "36.8℃", "36.8 °C", "36.8°",
        ] {
            assert_eq!(
                Temperature::parse(typed).map(Temperature::tenths),
                Ok(368),
                "{typed}"
            );
        }
        for typed in ["", "365", "3.68", "36..8", "abc", "36,8,1", "NaN", "inf"] {
            assert!(Temperature::parse(typed).is_err(), "{typed}");
        }
    }

    #[test]
    fn temperatures_outside_a_thermometer_are_refused_and_fever_starts_at_37_3() {
        assert!(Temperature::from_celsius(50.0).is_err());
        assert!(Temperature::from_celsius(f64::NAN).is_err());
        assert!(Temperature::from_celsius(33.9).is_err());
        assert!(!Temperature::from_celsius(37.2).unwrap().is_fever());
        assert!(Temperature::from_celsius(37.3).unwrap().is_fever());
        assert_eq!(Temperature::from_celsius(36.55).unwrap().tenths(), 366);
    }

    #[test]
    fn every_quarantine_transition_is_allowed_or_refused_as_the_table_says() {
        use QuarantineStatus::*;
        let allowed = [
            (Planned, Active),
            (Planned, Released),
            (Active, Released),
            (Active, Transferred),
        ];
        for from in QuarantineStatus::ALL {
            for to in QuarantineStatus::ALL {
                assert_eq!(
                    from.can_become(to),
                    allowed.contains(&(from, to)),
                    "{from:?} → {to:?}"
                );
            }
        }
    }

    #[test]
    fn a_transfer_moves_one_step_at_a_time_and_ends_released() {
        let mut s = TransferStatus::Notified;
        let mut seen = vec![s];
        while let Some(n) = s.next() {
            s = n;
            seen.push(s);
        }
        assert_eq!(seen, TransferStatus::ALL.to_vec());
    }
}
