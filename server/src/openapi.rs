//! The OpenAPI document, built from the handlers' annotations. A test checks that it lists
//! exactly the routes the server serves.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{auth, bundles, checkins, contacts, families, meta, programs, reports, users};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "kinthread API",
        description = "Keeps the thread between migrant parents and the children they left at home: \
                       the contact log, check-ins, reports and follow-ups, families and accounts.",
    ),
    paths(
        meta::health,
        meta::openapi,
        meta::audit,
        auth::login,
        auth::refresh,
        auth::logout,
        auth::me,
        users::create_user,
        users::list_users,
        users::update_user,
        programs::create_program,
        programs::list_programs,
        programs::get_program,
        families::create_family,
        families::list_families,
        families::get_family,
        families::update_family,
        families::create_person,
        families::list_persons,
        contacts::create_contact,
        contacts::batch_contacts,
        contacts::list_contacts,
        contacts::get_contact,
        contacts::amend_contact,
        checkins::create_checkin,
        checkins::list_checkins,
        reports::family_report,
        reports::caseload,
        reports::create_follow_up,
        reports::list_follow_ups,
        bundles::export_bundle,
        bundles::import_bundle,
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}
