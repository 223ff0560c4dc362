//! A two-second memory of live sessions and their jurisdiction's grids, so that a burst of requests
//! from one phone costs the database one session lookup rather than one each.
//!
//! Everything that ends or changes a session in this process (sign-out, password change, disable,
//! new role or units, reset) forgets the user's entries at once. Another process (a second server
//! on the same PostgreSQL, or the command line) is seen within the two seconds.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::db::accounts::Session;

const TTL: Duration = Duration::from_secs(2);
const MAX_ENTRIES: usize = 50_000;

#[derive(Clone)]
pub struct Cached {
    pub session: Session,
    pub grids: Arc<Vec<i64>>,
    /// The jurisdiction's units (for the pages' unit pickers), read on first use.
    pub units: Units,
}

/// Filled at most once per cache entry; shared by every request the entry serves.
pub type Units = Arc<tokio::sync::OnceCell<Vec<crate::db::units::Unit>>>;

#[derive(Default)]
pub struct SessionCache {
    map: Mutex<HashMap<String, (Cached, Instant)>>,
}

impl SessionCache {
    pub fn get(&self, token_hash: &str) -> Option<Cached> {
        let map = self.map.lock().ok()?;
        map.get(token_hash)
            .filter(|(_, at)| at.elapsed() < TTL)
            .map(|(c, _)| c.clone())
    }

    pub fn put(&self, token_hash: String, cached: Cached) {
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= MAX_ENTRIES {
                map.retain(|_, (_, at)| at.elapsed() < TTL);
            }
            map.insert(token_hash, (cached, Instant::now()));
        }
    }

    /// Forgets every cached session of `user_id`.
    pub fn forget_user(&self, user_id: i64) {
        if let Ok(mut map) = self.map.lock() {
            map.retain(|_, (c, _)| c.session.user.id != user_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::accounts::User;
    use shouhu_domain::Role;

    fn cached(user_id: i64) -> Cached {
        Cached {
            session: Session {
                token_hash: format!("h{user_id}"),
                user: User {
                    id: user_id,
                    username: format!("u{user_id}"),
                    display_name: String::new(),
                    role: Role::GridWorker,
                    must_change_password: false,
                    disabled: false,
                },
                csrf_token: String::new(),
                created_at: 0,
                last_seen_at: 0,
                reauth_at: None,
            },
            grids: Arc::new(vec![1, 2]),
            units: Units::default(),
        }
    }

    #[test]
    fn entries_are_found_until_their_user_is_forgotten() {
        let cache = SessionCache::default();
        cache.put("a".into(), cached(1));
        cache.put("b".into(), cached(1));
        cache.put("c".into(), cached(2));
        assert_eq!(cache.get("a").map(|c| c.grids.len()), Some(2));
        cache.forget_user(1);
        assert!(cache.get("a").is_none() && cache.get("b").is_none());
        assert!(cache.get("c").is_some(), "other users keep theirs");
    }

    #[test]
    fn entries_expire() {
        let cache = SessionCache::default();
        cache.put("a".into(), cached(1));
        if let Ok(mut map) = cache.map.lock()
            && let Some(entry) = map.get_mut("a")
        {
            entry.1 = Instant::now() - TTL - Duration::from_millis(1);
        }
        assert!(cache.get("a").is_none());
    }
}
