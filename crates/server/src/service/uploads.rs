//! Files uploaded for an import, held between the preview and the confirmation. In memory: a
//! preview is minutes old at most, and a restart merely asks for the file again.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use rand::RngCore;

/// How long a preview can wait for its confirmation.
const KEEP: Duration = Duration::from_secs(30 * 60);
/// All pending uploads together; the oldest go first beyond it.
const MAX_TOTAL_BYTES: usize = 256 * 1024 * 1024;

#[derive(Clone, Debug)]
pub struct Pending {
    pub user_id: i64,
    pub bytes: Bytes,
    pub file_name: String,
    pub community: String,
    pub grid: String,
    pub sheet: String,
    at: Instant,
}

#[derive(Default)]
pub struct Uploads {
    map: Mutex<HashMap<String, Pending>>,
}

impl Uploads {
    /// Keeps an upload and returns its unguessable token. One pending upload per user: a new one
    /// replaces the last.
    pub fn put(
        &self,
        user_id: i64,
        bytes: Bytes,
        file_name: String,
        community: String,
        grid: String,
        sheet: String,
    ) -> String {
        let mut raw = [0u8; 16];
        rand::rng().fill_bytes(&mut raw);
        let token = hex::encode(raw);
        let Ok(mut map) = self.map.lock() else {
            return token;
        };
        map.retain(|_, p| p.user_id != user_id && p.at.elapsed() < KEEP);
        let mut total: usize = map.values().map(|p| p.bytes.len()).sum::<usize>() + bytes.len();
        while total > MAX_TOTAL_BYTES {
            let Some(oldest) = map.iter().min_by_key(|(_, p)| p.at).map(|(k, _)| k.clone()) else {
                break;
            };
            if let Some(p) = map.remove(&oldest) {
                total -= p.bytes.len();
            }
        }
        map.insert(
            token.clone(),
            Pending {
                user_id,
                bytes,
                file_name,
                community,
                grid,
                sheet,
                at: Instant::now(),
            },
        );
        token
    }

    /// The upload behind `token`, if it is the user's and still fresh.
    pub fn get(&self, user_id: i64, token: &str) -> Option<Pending> {
        let map = self.map.lock().ok()?;
        map.get(token)
            .filter(|p| p.user_id == user_id && p.at.elapsed() < KEEP)
            .cloned()
    }

    pub fn remove(&self, token: &str) {
        if let Ok(mut map) = self.map.lock() {
            map.remove(token);
        }
    }

    /// Forgets a user's uploads (sign-out).
    pub fn forget_user(&self, user_id: i64) {
        if let Ok(mut map) = self.map.lock() {
            map.retain(|_, p| p.user_id != user_id);
        }
    }
}
