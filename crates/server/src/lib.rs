//! The shouhu service: storage, web pages, JSON API and the command line.
//! See ARCHITECTURE in the README for where things live.

pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod i18n;
pub mod service;
pub mod sheet;
pub mod survey;
pub mod web;
