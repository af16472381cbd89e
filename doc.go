// Package checkpoint is the domain core of the Checkpoint system: resident IDs, phones, names and
// temperatures; the signed, offline-verifiable health code (吉祥码) with its trust and revocation
// lists; risk areas; and the checkpoint verdict with its staff messages.
//
// It imports only the standard library. Types that hold personal data (ResidentID, Phone, Name)
// print and log only their masked form; the full value is available through an explicit Full method.
package checkpoint
