//! Paging of lists: `page` from 1, `per_page` up to 500.

use serde::Serialize;

use super::error::AppError;

pub const MAX_PER_PAGE: i64 = 500;
pub const DEFAULT_PER_PAGE: i64 = 20;

#[derive(Clone, Copy, Debug, Serialize)]
pub struct Paging {
    pub page: i64,
    pub per_page: i64,
}

impl Paging {
    pub fn new(page: Option<i64>, per_page: Option<i64>) -> Result<Paging, AppError> {
        let page = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
        if !(1..=1_000_000).contains(&page) {
            return Err(AppError::invalid(
                "page",
                "out_of_range",
                "page is 1 to 1,000,000",
            ));
        }
        if !(1..=MAX_PER_PAGE).contains(&per_page) {
            return Err(AppError::invalid(
                "per_page",
                "out_of_range",
                "per_page is 1 to 500",
            ));
        }
        Ok(Paging { page, per_page })
    }
    pub fn limit(&self) -> i64 {
        self.per_page
    }
    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.per_page
    }
}
