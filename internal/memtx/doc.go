// Package memtx is the one mechanism behind every in-memory store of the library: tables of
// rows and append-only logs in a [DB] whose transactions are serializable and all-or-nothing.
//
// A store method runs its logic inside [DB.Update]; every write goes through the transaction,
// which records how to undo it. If the function returns an error (or panics), every write is
// undone, so a failed operation leaves the store exactly as it was. Writers are serialised by
// one lock; readers ([DB.View]) share it. Values are copied in and out with the table's clone
// function, so callers never alias stored data.
//
// The undo log is typed and reused: each table and log records its own writes (key, old
// value, whether it existed) in a slice kept from one transaction to the next, so a write
// allocates nothing once warm, and a view allocates nothing at all.
//
// A store that must not grow with its history forgets what it keeps only for a while in the
// same transactions: [Log.Forget] drops the oldest records of a sequence without moving the
// positions of the others, and [Aged] is a table whose rows are stamped with a time and
// forgotten, oldest first, once older than a horizon.
//
// [Rows] is a table keyed by dense IDs assigned in insertion order (the lots or entries of a
// ledger): rows live in fixed chunks, so inserting is an append and a lookup an index, with
// no map to hash, grow or rehash; a chunk whose rows were all deleted is released.
//
// For tables kept for a long time, rows can be made free of pointers, so that the garbage
// collector neither scans them nor marks their strings one by one: an [Arena] keeps their
// strings in large byte chunks (a row holds a [Str], three integers), and a [HashIndex]
// finds rows by a 64-bit hash of a string key in a flat table of 8-byte slots, smaller
// than a Go map and read with one cache line per lookup.
//
// The same shape, a function run in one transaction, maps directly onto SQL transactions, so
// domain services written against a Store with an Update(ctx, func(Tx) error) method work
// unchanged on the SQL stores. All types are safe for concurrent use through their DB.
package memtx
