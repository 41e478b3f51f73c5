// Package cdr decodes the Call Detail Records a Call Bridge POSTs to its
// CDR receivers: a <records session=… callBridge=…> batch of <record
// type=… time=… recordIndex=… correlatorIndex=…> elements, each wrapping
// one <call>, <callLeg>, <recording> or <streaming> body. The Decoder
// streams: it reads one record at a time from an encoding/xml token
// stream and never holds more than that record, so a receiver can handle
// a large batch in constant memory. It keeps the envelope's session and
// callBridge and the record's counters (recordIndex, correlatorIndex and
// the bridge-spelt numPreceedingRecordsMissing) on every Record, so that
// duplicates (a batch re-sent after a lost 200 OK) and gaps can be
// detected by the caller. Unknown record types and unknown elements are
// kept raw rather than refused, because a newer bridge adds them; a bad
// value spoils only its record (a *RecordError, after which decoding goes
// on), while broken XML stops the batch with a *BatchError that names the
// line, column and record where it broke.
package cdr
