package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchboardhq/switchboard/server/cms"
	"github.com/switchboardhq/switchboard/server/cms/cdr"
	"github.com/switchboardhq/switchboard/server/cms/events"
)

// debugCmd groups the troubleshooting decoders: each reads a capture of
// Call Bridge traffic (a file, or standard input for "-") and prints what
// Switchboard understands of it as JSON, so that an administrator or
// support engineer can see whether a problem is in the bridge's data or in
// what Switchboard makes of it.
func debugCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "debug",
		Short: "Decode captured Call Bridge traffic (CDRs, API replies, events) for troubleshooting",
	}
	cmd.AddCommand(debugCDRCmd(), debugCMSXMLCmd(), debugEventsCmd())
	return cmd
}

// openInput opens FILE, or standard input for "-".
func openInput(cmd *cobra.Command, name string) (io.Reader, func(), error) {
	if name == "-" {
		return cmd.InOrStdin(), func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	return bufio.NewReader(f), func() { f.Close() }, nil
}

func newJSONEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // URIs and raw XML stay readable
	return enc
}

// cdrLine is one decoded record as the debug command prints it: the
// envelope first, then the ids every record type is about, then the
// fields of its body.
type cdrLine struct {
	Type                       cdr.Type         `json:"type"`
	Time                       *time.Time       `json:"time,omitempty"`
	RecordIndex                uint64           `json:"recordIndex"`
	CorrelatorIndex            uint64           `json:"correlatorIndex"`
	NumPrecedingRecordsMissing uint64           `json:"numPreceedingRecordsMissing,omitempty"`
	Session                    string           `json:"session"`
	CallBridge                 string           `json:"callBridge,omitempty"`
	Call                       string           `json:"call,omitempty"`
	CallLeg                    string           `json:"callLeg,omitempty"`
	Fields                     any              `json:"fields,omitempty"`
	Unknown                    []cms.RawElement `json:"unknown,omitempty"`
	Error                      string           `json:"error,omitempty"`
}

func debugCDRCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "cdr FILE|-",
		Short: "Decode a CDR post (<records>) and print one JSON object per record",
		Long: "Decodes the body of one CDR POST from a Call Bridge and prints one JSON object per\n" +
			"record: type, time, recordIndex, correlatorIndex, session, callBridge, the call and\n" +
			"call leg ids, and every field understood. A record with a bad value is printed with an\n" +
			"\"error\" and decoding goes on; broken XML stops with the line and column. Either makes\n" +
			"the exit status non-zero.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, closeIn, err := openInput(cmd, args[0])
			if err != nil {
				return err
			}
			defer closeIn()
			enc := newJSONEncoder(cmd.OutOrStdout())
			bad, n := 0, 0
			for rec, err := range cdr.NewDecoder(in).All() {
				var be *cdr.BatchError
				if errors.As(err, &be) {
					return fmt.Errorf("%s: %w", args[0], err)
				}
				n++
				line := cdrLine{
					Type: rec.Type, RecordIndex: rec.RecordIndex, CorrelatorIndex: rec.CorrelatorIndex,
					NumPrecedingRecordsMissing: rec.NumPrecedingRecordsMissing,
					Session:                    rec.Session, CallBridge: rec.CallBridge,
					Call: rec.CallID(), CallLeg: rec.CallLegID(), Fields: rec.Body(), Unknown: rec.Unknown,
				}
				if !rec.Time.IsZero() {
					line.Time = &rec.Time
				}
				if err != nil {
					bad++
					line.Error = err.Error()
				}
				if err := enc.Encode(line); err != nil {
					return err
				}
			}
			if n == 0 {
				return fmt.Errorf("%s: the batch holds no record", args[0])
			}
			if bad > 0 {
				return fmt.Errorf("%s: %d of %d records have bad values (see \"error\" in the output)", args[0], bad, n)
			}
			return nil
		},
	}
}

func debugCMSXMLCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "cms-xml FILE|-",
		Short: "Decode a captured Call Bridge API reply and print it as JSON",
		Long: "Decodes one XML reply of the Call Bridge API (/api/v1). The kind is taken from the root\n" +
			"element (status, coSpaces, callLeg, failureDetails, ...); the output is\n" +
			"{\"kind\": ..., \"value\": ...} with the fields Switchboard understood, and any element it\n" +
			"does not know under \"extra\".",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, closeIn, err := openInput(cmd, args[0])
			if err != nil {
				return err
			}
			defer closeIn()
			r, err := cms.DecodeReply(in)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			enc := newJSONEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(r)
		},
	}
}

func debugEventsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "events FILE|-",
		Short: "Decode captured Events API frames and print one JSON object per frame",
		Long: "Decodes websocket frames of the Call Bridge Events API: one JSON frame per line, frames\n" +
			"one after another, or a JSON array of frames. Each is printed as {\"frame\": n, ...} with\n" +
			"its typed message or messageAck. A frame that cannot be decoded is reported with its\n" +
			"number and decoding goes on; broken JSON stops. Either makes the exit status non-zero.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, closeIn, err := openInput(cmd, args[0])
			if err != nil {
				return err
			}
			defer closeIn()
			frames, err := splitFrames(in)
			enc := newJSONEncoder(cmd.OutOrStdout())
			bad := 0
			for i, raw := range frames {
				f, derr := events.Decode(raw)
				out := struct {
					N int `json:"frame"`
					*events.Frame
					Error string `json:"error,omitempty"`
				}{N: i + 1, Frame: f}
				if derr != nil {
					bad++
					out.Error = derr.Error()
				}
				if err := enc.Encode(out); err != nil {
					return err
				}
			}
			if err != nil {
				return fmt.Errorf("%s: after frame %d: %w", args[0], len(frames), err)
			}
			if len(frames) == 0 {
				return fmt.Errorf("%s: no frame found", args[0])
			}
			if bad > 0 {
				return fmt.Errorf("%s: %d of %d frames could not be decoded (see \"error\" in the output)", args[0], bad, len(frames))
			}
			return nil
		},
	}
}

// splitFrames reads JSON values one after another (one per line or not),
// or a single JSON array of them, and returns each value's bytes. On
// broken JSON it returns the frames before it and an error with the byte
// offset.
func splitFrames(r io.Reader) ([]json.RawMessage, error) {
	br := bufio.NewReader(r)
	for {
		b, err := br.Peek(1)
		if err == io.EOF {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if !bytes.ContainsAny(b, " \t\r\n") {
			break
		}
		br.ReadByte()
	}
	dec := json.NewDecoder(br)
	var frames []json.RawMessage
	if b, _ := br.Peek(1); len(b) == 1 && b[0] == '[' {
		if err := dec.Decode(&frames); err != nil {
			return nil, jsonPosition(err, dec)
		}
		return frames, nil
	}
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF {
			return frames, nil
		}
		if err != nil {
			return frames, jsonPosition(err, dec)
		}
		frames = append(frames, raw)
	}
}

func jsonPosition(err error, dec *json.Decoder) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("broken JSON at byte %d: %w", se.Offset, err)
	}
	return fmt.Errorf("broken JSON near byte %d: %w", dec.InputOffset(), err)
}
