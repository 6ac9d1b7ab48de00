//! The registry of places and parties, in one place: communities and streets
//! ([`community`]), buildings and their files ([`buildings`], [`building_import`],
//! [`building_file`]), grid boundaries ([`grids`]) and the map drawn from them ([`map`]),
//! the parties of the joint mechanism ([`organisations`]), and the JSON API over them and
//! over the property register ([`api`], [`property`]). Residents have their own
//! capability, [`crate::residents`].

pub mod api;
pub mod building_file;
pub mod building_import;
pub mod buildings;
pub mod community;
pub mod grids;
pub mod map;
pub mod organisations;
pub mod property;
