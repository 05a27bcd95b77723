//! The database schema, written by hand to match `migrations/{sqlite,postgres}` and kept to
//! the types both engines share (text, integers, doubles, booleans).

diesel::table! {
    server_settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    programs (id) {
        id -> Text,
        name -> Text,
        target_cadence_days -> Integer,
        created_at -> BigInt,
        attention_thresholds -> Nullable<Text>,
        retention_months -> Nullable<Integer>,
    }
}

diesel::table! {
    families (id) {
        id -> Text,
        display_name -> Text,
        program_id -> Nullable<Text>,
        time_zone -> Text,
        target_cadence_days -> Nullable<Integer>,
        // A copy of the consent in force, rewritten with every change; the record is the
        // history in `consent_records` (migration 2026-12-07-000300), which the server reads.
        guardian_consent -> Bool,
        share_notes_with_staff -> Bool,
        child_feedback_visible_to_parents -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    persons (family_id, id) {
        family_id -> Text,
        id -> Text,
        display_name -> Text,
        role -> Text,
        lives_away -> Bool,
        away_location -> Nullable<Text>,
        away_since -> Nullable<Text>,
        birth_year -> Nullable<Integer>,
        birth_date -> Nullable<Text>,
        // `phone_e164` is left out: the numbers live in `person_phones` (migration
        // 2026-12-07-000201), the column stays empty.
        created_at -> BigInt,
    }
}

diesel::table! {
    person_phones (family_id, person_id, phone_e164) {
        family_id -> Text,
        person_id -> Text,
        phone_e164 -> Text,
        position -> Integer,
        created_at -> BigInt,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        password_hash -> Text,
        role -> Text,
        display_name -> Nullable<Text>,
        family_id -> Nullable<Text>,
        person_id -> Nullable<Text>,
        disabled -> Bool,
        created_at -> BigInt,
        tokens_valid_after -> BigInt,
        login_locked -> Bool,
        must_change_password -> Bool,
    }
}

diesel::table! {
    staff_programs (user_id, program_id) {
        user_id -> Text,
        program_id -> Text,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        user_id -> Text,
        token_hash -> Text,
        expires_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    contacts (family_id, id) {
        family_id -> Text,
        id -> Text,
        client_id -> Text,
        request_hash -> Text,
        kind -> Text,
        status -> Text,
        initiator_id -> Text,
        started_at -> BigInt,
        utc_offset_seconds -> Integer,
        duration_seconds -> Nullable<BigInt>,
        ended_at -> Nullable<BigInt>,
        ended_offset_seconds -> Nullable<Integer>,
        content -> Nullable<Text>,
        talked_most -> Nullable<Text>,
        child_feedback -> Nullable<Text>,
        depth_score -> Nullable<Double>,
        depth_level -> Nullable<Text>,
        depth_lexicon -> Nullable<Text>,
        source -> Text,
        recorded_by -> Text,
        recorded_at -> BigInt,
        supersedes -> Nullable<Text>,
        superseded_by -> Nullable<Text>,
        participant_ids -> Nullable<Text>,
    }
}

diesel::table! {
    contact_participants (family_id, contact_id, person_id) {
        family_id -> Text,
        contact_id -> Text,
        person_id -> Text,
    }
}

diesel::table! {
    checkins (family_id, id) {
        family_id -> Text,
        id -> Text,
        client_id -> Text,
        request_hash -> Text,
        child_id -> Text,
        observed_at -> BigInt,
        utc_offset_seconds -> Integer,
        mood -> Integer,
        health -> Nullable<Text>,
        school -> Nullable<Text>,
        worries -> Nullable<Text>,
        note -> Nullable<Text>,
        recorded_by -> Text,
        recorded_at -> BigInt,
    }
}

diesel::table! {
    contact_feedback (family_id, id) {
        family_id -> Text,
        id -> Text,
        client_id -> Text,
        request_hash -> Text,
        contact_id -> Text,
        child_id -> Text,
        rating -> Text,
        words -> Nullable<Text>,
        given_at -> BigInt,
        utc_offset_seconds -> Integer,
        recorded_by -> Text,
        recorded_at -> BigInt,
        replaced_by -> Nullable<Text>,
    }
}

diesel::table! {
    child_checkins (family_id, id) {
        family_id -> Text,
        id -> Text,
        client_id -> Text,
        request_hash -> Text,
        child_id -> Text,
        observed_at -> BigInt,
        utc_offset_seconds -> Integer,
        mood -> Integer,
        words -> Nullable<Text>,
        recorded_by -> Text,
        recorded_at -> BigInt,
    }
}

diesel::table! {
    follow_ups (family_id, id) {
        family_id -> Text,
        id -> Text,
        staff_id -> Text,
        outcome -> Text,
        reason -> Nullable<Text>,
        recheck_at -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    prompt_history (family_id, user_id, child_id, last_routine_contact_at) {
        family_id -> Text,
        user_id -> Text,
        child_id -> Text,
        last_routine_contact_at -> BigInt,
        prompt_id -> Text,
        shown_at -> BigInt,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        at -> BigInt,
        actor_id -> Nullable<Text>,
        actor_role -> Nullable<Text>,
        action -> Text,
        family_id -> Nullable<Text>,
        target -> Nullable<Text>,
        purpose -> Nullable<Text>,
    }
}

diesel::table! {
    consent_records (family_id, id) {
        family_id -> Text,
        id -> Text,
        kind -> Text,
        person_id -> Nullable<Text>,
        given_at -> BigInt,
        given_by -> Nullable<Text>,
        given_via -> Text,
        reference -> Nullable<Text>,
        withdrawn_at -> Nullable<BigInt>,
        withdrawn_by -> Nullable<Text>,
        withdrawn_via -> Nullable<Text>,
        withdrawn_reference -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    checkins,
    child_checkins,
    consent_records,
    contact_feedback,
    contacts,
    contact_participants,
    families,
    persons,
    follow_ups,
    programs
);
