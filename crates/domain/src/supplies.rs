//! Supplies (物资): the catalogue's kinds of goods, the moves of the stock ledger, and the rule the
//! ledger keeps — no community store ever holds less than nothing of an item, at any instant.
//!
//! The ledger is append-only: a movement has a time (when the goods moved, which may be earlier than
//! when it is written down) and a signed quantity. A mistake is undone by a reversing movement, never
//! by editing; a stocktake sets the count and freezes what came before it.

/// What kind of goods an item is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ItemCategory {
    /// 生活用品: rice, oil, toilet paper.
    Daily,
    /// 蔬菜: vegetables and fruit.
    Vegetables,
    /// 药品: medicine.
    Medicine,
    /// 防护物资: masks, disinfectant, thermometers.
    Protective,
}

impl ItemCategory {
    pub const ALL: [ItemCategory; 4] = [
        ItemCategory::Daily,
        ItemCategory::Vegetables,
        ItemCategory::Medicine,
        ItemCategory::Protective,
    ];

    pub fn parse(s: &str) -> Option<ItemCategory> {
        ItemCategory::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ItemCategory::Daily => "daily",
            ItemCategory::Vegetables => "vegetables",
            ItemCategory::Medicine => "medicine",
            ItemCategory::Protective => "protective",
        }
    }
}

/// Why goods moved in or out of a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MovementKind {
    /// 采购入库: bought on a purchase run.
    PurchaseIn,
    /// 捐赠入库: given by a partner unit.
    DonationIn,
    /// 配送出库: taken out for a door delivery.
    DeliveryOut,
    /// Brought back from a delivery that did not happen.
    DeliveryReturn,
    /// 领用: given to staff (protective material).
    StaffOut,
    /// 损耗: lost, spoiled, broken — with a reason.
    Loss,
    /// 调整: a correction in or out, with a reason.
    Adjustment,
    /// 盘点: the counted quantity set; nothing may be entered before it.
    Stocktake,
    /// The exact opposite of an earlier movement (a mistake undone).
    Reversal,
}

impl MovementKind {
    pub const ALL: [MovementKind; 9] = [
        MovementKind::PurchaseIn,
        MovementKind::DonationIn,
        MovementKind::DeliveryOut,
        MovementKind::DeliveryReturn,
        MovementKind::StaffOut,
        MovementKind::Loss,
        MovementKind::Adjustment,
        MovementKind::Stocktake,
        MovementKind::Reversal,
    ];

    pub fn parse(s: &str) -> Option<MovementKind> {
        MovementKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MovementKind::PurchaseIn => "purchase_in",
            MovementKind::DonationIn => "donation_in",
            MovementKind::DeliveryOut => "delivery_out",
            MovementKind::DeliveryReturn => "delivery_return",
            MovementKind::StaffOut => "staff_out",
            MovementKind::Loss => "loss",
            MovementKind::Adjustment => "adjustment",
            MovementKind::Stocktake => "stocktake",
            MovementKind::Reversal => "reversal",
        }
    }

    /// Which way the goods go: +1 in, -1 out, 0 either (given by the sign of the quantity).
    pub fn direction(self) -> i8 {
        match self {
            MovementKind::PurchaseIn | MovementKind::DonationIn | MovementKind::DeliveryReturn => 1,
            MovementKind::DeliveryOut | MovementKind::StaffOut | MovementKind::Loss => -1,
            MovementKind::Adjustment | MovementKind::Stocktake | MovementKind::Reversal => 0,
        }
    }

    /// Kinds a person enters by hand on the store's page (the rest come from purchases,
    /// donations, deliveries, stocktakes and reversals).
    pub fn by_hand(self) -> bool {
        matches!(
            self,
            MovementKind::PurchaseIn
                | MovementKind::DonationIn
                | MovementKind::StaffOut
                | MovementKind::Loss
                | MovementKind::Adjustment
        )
    }

    /// Kinds that must say why.
    pub fn needs_reason(self) -> bool {
        matches!(self, MovementKind::Loss | MovementKind::Adjustment)
    }
}

/// Where a household's need (需求) stands.
///
/// requested → committed (the store or a purchase run will cover it) → in transit (out for
/// delivery) → delivered; requested or committed may be cancelled; a delivery that failed brings
/// it back to committed, and a commitment taken back brings it back to requested.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NeedStatus {
    Requested,
    Committed,
    InTransit,
    Delivered,
    Cancelled,
}

impl NeedStatus {
    pub const ALL: [NeedStatus; 5] = [
        NeedStatus::Requested,
        NeedStatus::Committed,
        NeedStatus::InTransit,
        NeedStatus::Delivered,
        NeedStatus::Cancelled,
    ];

    pub fn parse(s: &str) -> Option<NeedStatus> {
        NeedStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NeedStatus::Requested => "requested",
            NeedStatus::Committed => "committed",
            NeedStatus::InTransit => "in_transit",
            NeedStatus::Delivered => "delivered",
            NeedStatus::Cancelled => "cancelled",
        }
    }

    /// Still waiting for its goods.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            NeedStatus::Requested | NeedStatus::Committed | NeedStatus::InTransit
        )
    }

    pub fn can_become(self, to: NeedStatus) -> bool {
        use NeedStatus::*;
        matches!(
            (self, to),
            (Requested, Committed)
                | (Committed, Requested)
                | (Committed, InTransit)
                | (InTransit, Committed)
                | (InTransit, Delivered)
                | (Requested, Cancelled)
                | (Committed, Cancelled)
        )
    }
}

/// Where a purchase run (采购) stands: planned → shopping → returned (the goods are in the store)
/// → reconciled (the money adds up); planned or shopping may be cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PurchaseStatus {
    Planned,
    Shopping,
    Returned,
    Reconciled,
    Cancelled,
}

impl PurchaseStatus {
    pub const ALL: [PurchaseStatus; 5] = [
        PurchaseStatus::Planned,
        PurchaseStatus::Shopping,
        PurchaseStatus::Returned,
        PurchaseStatus::Reconciled,
        PurchaseStatus::Cancelled,
    ];

    pub fn parse(s: &str) -> Option<PurchaseStatus> {
        PurchaseStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PurchaseStatus::Planned => "planned",
            PurchaseStatus::Shopping => "shopping",
            PurchaseStatus::Returned => "returned",
            PurchaseStatus::Reconciled => "reconciled",
            PurchaseStatus::Cancelled => "cancelled",
        }
    }

    pub fn can_become(self, to: PurchaseStatus) -> bool {
        use PurchaseStatus::*;
        matches!(
            (self, to),
            (Planned, Shopping)
                | (Shopping, Returned)
                | (Returned, Reconciled)
                | (Planned, Cancelled)
                | (Shopping, Cancelled)
        )
    }

    /// What was bought may still be written down.
    pub fn lines_open(self) -> bool {
        matches!(self, PurchaseStatus::Planned | PurchaseStatus::Shopping)
    }
}

/// Whether the cash advanced for a run equals what was spent and the change brought back, in fen;
/// an overflow never balances.
pub fn cash_balances(advanced: i64, spent: i64, change: i64) -> bool {
    spent.checked_add(change) == Some(advanced)
}

/// A movement the ledger cannot take: at `at` the store would hold `balance` (less than nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shortfall {
    pub at: i64,
    pub balance: i64,
}

/// Whether a movement of `delta` at `at` keeps the store at or above nothing at every instant.
///
/// `now` is the balance after every movement so far; `later` are the movements written so far
/// whose time is after `at` (time, quantity), in ledger order. A new movement sits after every
/// movement of the same time or earlier, so only `later` ones see it.
pub fn admits(now: i64, later: &[(i64, i64)], at: i64, delta: i64) -> Result<(), Shortfall> {
    let after: i64 = later.iter().map(|(_, d)| d).sum();
    let mut balance = now - after + delta;
    if balance < 0 {
        return Err(Shortfall { at, balance });
    }
    for &(t, d) in later {
        balance += d;
        if balance < 0 {
            return Err(Shortfall { at: t, balance });
        }
    }
    Ok(())
}

/// The quantity a household may ask for beyond which a person must confirm: over the cap where one
/// is set, or ten times the usual quantity (5000 masks where 500 is usual).
pub fn needs_confirmation(quantity: i64, usual: Option<i64>, cap: Option<i64>) -> bool {
    cap.is_some_and(|c| quantity > c) || usual.is_some_and(|u| u > 0 && quantity > u * 10)
}

/// Parses a money amount typed as yuan ("12", "12.5", "12.50", "¥12.50") into integer fen.
pub fn parse_fen(s: &str) -> Option<i64> {
    let s = s.trim().trim_start_matches(['¥', '￥']).trim();
    let (yuan, fen) = match s.split_once('.') {
        Some((y, f)) => (y, f),
        None => (s, ""),
    };
    if yuan.is_empty() && fen.is_empty() || fen.len() > 2 {
        return None;
    }
    if !yuan.chars().all(|c| c.is_ascii_digit()) || !fen.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let y: i64 = if yuan.is_empty() {
        0
    } else {
        yuan.parse().ok()?
    };
    let f: i64 = match fen.len() {
        0 => 0,
        1 => fen.parse::<i64>().ok()? * 10,
        _ => fen.parse().ok()?,
    };
    y.checked_mul(100)?.checked_add(f)
}

/// Integer fen shown as yuan: 1250 → "12.50".
pub fn format_fen(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let a = fen.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The balance at every instant of a ledger, by brute force: the model `admits` must agree with.
    fn never_negative(ledger: &[(i64, i64)]) -> bool {
        let mut sorted: Vec<(usize, (i64, i64))> = ledger.iter().copied().enumerate().collect();
        sorted.sort_by_key(|(i, (t, _))| (*t, *i));
        let mut balance = 0;
        sorted.iter().all(|(_, (_, d))| {
            balance += d;
            balance >= 0
        })
    }

    #[test]
    fn a_movement_now_needs_only_the_balance() {
        assert_eq!(admits(5, &[], 100, -5), Ok(()));
        assert_eq!(
            admits(5, &[], 100, -6),
            Err(Shortfall {
                at: 100,
                balance: -1
            })
        );
    }

    #[test]
    fn a_late_movement_may_not_empty_the_store_before_later_ones() {
        // 10 in at 1, 8 out at 5: now 2. Taking 3 at 3 would leave -1 at 5, though 7 were there at 3.
        let later = [(5, -8)];
        assert_eq!(
            admits(2, &later, 3, -3),
            Err(Shortfall { at: 5, balance: -1 })
        );
        assert_eq!(admits(2, &later, 3, -2), Ok(()));
        // Goods that arrived late are counted from their time on.
        assert_eq!(admits(2, &later, 3, 4), Ok(()));
    }

    #[test]
    fn random_ledgers_agree_with_brute_force() {
        // A small deterministic generator: no dependency for a test.
        let mut seed: u64 = 0x5eed;
        let mut next = |n: i64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) % n as u64) as i64
        };
        for _ in 0..2000 {
            let mut ledger: Vec<(i64, i64)> = Vec::new();
            for _ in 0..20 {
                let at = next(50);
                let delta = next(21) - 10;
                let now: i64 = ledger.iter().map(|(_, d)| d).sum();
                let mut later: Vec<(usize, (i64, i64))> = ledger
                    .iter()
                    .copied()
                    .enumerate()
                    .filter(|(_, (t, _))| *t > at)
                    .collect();
                later.sort_by_key(|(i, (t, _))| (*t, *i));
                let later: Vec<(i64, i64)> = later.into_iter().map(|(_, m)| m).collect();
                let mut with = ledger.clone();
                with.push((at, delta));
                assert_eq!(
                    admits(now, &later, at, delta).is_ok(),
                    never_negative(&with),
                    "{ledger:?} + {:?}",
                    (at, delta)
                );
                if admits(now, &later, at, delta).is_ok() {
                    ledger = with;
                }
                assert!(never_negative(&ledger));
            }
        }
    }

    #[test]
    fn every_move_of_a_need_allowed_and_refused() {
        use NeedStatus::*;
        let allowed = [
            (Requested, Committed),
            (Committed, Requested),
            (Committed, InTransit),
            (InTransit, Committed),
            (InTransit, Delivered),
            (Requested, Cancelled),
            (Committed, Cancelled),
        ];
        for from in NeedStatus::ALL {
            for to in NeedStatus::ALL {
                assert_eq!(
                    from.can_become(to),
                    allowed.contains(&(from, to)),
                    "{from:?} → {to:?}"
                );
            }
            assert_eq!(NeedStatus::parse(from.as_str()), Some(from));
        }
        assert!(!Delivered.is_open() && !Cancelled.is_open() && InTransit.is_open());
    }

    #[test]
    fn every_move_of_a_purchase_run_allowed_and_refused() {
        use PurchaseStatus::*;
        let allowed = [
            (Planned, Shopping),
            (Shopping, Returned),
            (Returned, Reconciled),
            (Planned, Cancelled),
            (Shopping, Cancelled),
        ];
        for from in PurchaseStatus::ALL {
            for to in PurchaseStatus::ALL {
                assert_eq!(
                    from.can_become(to),
                    allowed.contains(&(from, to)),
                    "{from:?} → {to:?}"
                );
            }
            assert_eq!(PurchaseStatus::parse(from.as_str()), Some(from));
        }
        assert!(cash_balances(100_000, 86_550, 13_450));
        assert!(!cash_balances(100_000, 86_550, 13_449));
        assert!(!cash_balances(i64::MAX, i64::MAX, 1));
    }

    #[test]
    fn confirmation_over_the_cap_or_ten_times_the_usual() {
        assert!(!needs_confirmation(500, Some(500), None));
        assert!(needs_confirmation(5001, Some(500), None));
        assert!(needs_confirmation(3, None, Some(2)));
        assert!(!needs_confirmation(2, None, Some(2)));
        assert!(!needs_confirmation(1_000_000, None, None));
    }

    #[test]
    fn money_is_typed_in_yuan_and_kept_in_fen() {
        assert_eq!(parse_fen("12"), Some(1200));
        assert_eq!(parse_fen("12.5"), Some(1250));
        assert_eq!(parse_fen("¥0.05"), Some(5));
        assert_eq!(parse_fen(".5"), Some(50));
        for bad in [
            "",
            ".",
            "1.234",
            "-3",
            "1e3",
            "12,5",
            "abc",
            "99999999999999999999",
        ] {
            assert_eq!(parse_fen(bad), None, "{bad}");
        }
        assert_eq!(format_fen(1250), "12.50");
        assert_eq!(format_fen(-5), "-0.05");
    }
}
