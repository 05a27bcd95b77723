//! SMS Backup & Restore export parsing (calls-*.xml, sms-*.xml).
