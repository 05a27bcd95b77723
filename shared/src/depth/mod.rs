//! Conversation depth: routine versus emotional talk in a note or text (SPEC section 5).
