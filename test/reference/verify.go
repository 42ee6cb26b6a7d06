// Command verify checks Lineage checkpoints and proofs with the Go reference implementations of
// C2SP signed notes and RFC 6962 trees: golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog.
// It holds no Lineage code. Input (stdin, JSON): notes with the log's verifier key (vkey) and the
// cosigners to require, inclusion proofs, consistency proofs, and logs served as C2SP tlog-tiles
// (hash tiles by path, read through tlog.TileHashReader). It prints one summary line and exits 0
// when everything verifies, 1 (naming the first failure) otherwise.
package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type cosigner struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

type signedNote struct {
	Note      string     `json:"note"`
	Vkey      string     `json:"vkey"`
	Cosigners []cosigner `json:"cosigners"`
}

type inclusion struct {
	Leaf  string   `json:"leaf"`
	Index int64    `json:"index"`
	Note  string   `json:"note"`
	Proof []string `json:"proof"`
}

type consistency struct {
	Old   string   `json:"old"`
	New   string   `json:"new"`
	Proof []string `json:"proof"`
}

// tiled is one log as a tlog-tiles client fetched it: the tree head, its hash tiles by the path
// after `tile/` (base64) and its entries in order.
type tiled struct {
	Size    int64             `json:"size"`
	Root    string            `json:"root"`
	Tiles   map[string]string `json:"tiles"`
	Entries []string          `json:"entries"`
}

type input struct {
	Notes       []signedNote  `json:"notes"`
	Inclusion   []inclusion   `json:"inclusion"`
	Consistency []consistency `json:"consistency"`
	Tiled       []tiled       `json:"tiled"`
}

// tileReader serves the tiles tlog.TileHashReader asks for from their tlog-tiles paths, which are
// the sumdb tile paths without the height element ("tile/8/").
type tileReader struct{ tiles map[string]string }

func (r tileReader) Height() int { return 8 }
func (r tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		path := strings.TrimPrefix(t.Path(), "tile/8/")
		b64, ok := r.tiles[path]
		if !ok {
			return nil, fmt.Errorf("tile %s was not fetched", path)
		}
		data, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}
func (r tileReader) SaveTiles([]tlog.Tile, [][]byte) {}

// checkTiled reads the tree through its tiles: the tree hash, and every entry's inclusion proof
// built from the tiles, each checked against the root (TileHashReader also checks every tile it
// reads against the root).
func checkTiled(t tiled) error {
	root, err := tlog.ParseHash(t.Root)
	if err != nil {
		return err
	}
	r := tlog.TileHashReader(tlog.Tree{N: t.Size, Hash: root}, tileReader{t.Tiles})
	h, err := tlog.TreeHash(t.Size, r)
	if err != nil {
		return err
	}
	if h != root {
		return fmt.Errorf("tree hash %v is not the root %v", h, root)
	}
	for i, e := range t.Entries {
		data, err := base64.StdEncoding.DecodeString(e)
		if err != nil {
			return err
		}
		proof, err := tlog.ProveRecord(t.Size, int64(i), r)
		if err != nil {
			return fmt.Errorf("entry %d: %v", i, err)
		}
		if err := tlog.CheckRecord(proof, t.Size, root, int64(i), tlog.RecordHash(data)); err != nil {
			return fmt.Errorf("entry %d: %v", i, err)
		}
	}
	return nil
}

// cosignatureV1 is a note.Verifier for c2sp.org/tlog-cosignature Ed25519 cosignatures: the
// signature is an 8-byte big-endian timestamp and an Ed25519 signature over
// "cosignature/v1\ntime <t>\n" followed by the note text.
type cosignatureV1 struct {
	name string
	key  ed25519.PublicKey
	hash uint32
}

func newCosigner(c cosigner) (*cosignatureV1, error) {
	key, err := base64.StdEncoding.DecodeString(c.Key)
	if err != nil || len(key) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("cosigner %s: bad key", c.Name)
	}
	h := sha256.Sum256(append([]byte(c.Name+"\n\x04"), key...))
	return &cosignatureV1{c.Name, key, binary.BigEndian.Uint32(h[:4])}, nil
}

func (v *cosignatureV1) Name() string    { return v.name }
func (v *cosignatureV1) KeyHash() uint32 { return v.hash }
func (v *cosignatureV1) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig[:8])
	signed := append([]byte("cosignature/v1\ntime "+strconv.FormatUint(t, 10)+"\n"), msg...)
	return ed25519.Verify(v.key, signed, sig[8:])
}

// checkpoint is the tree head a note's text commits to (c2sp.org/tlog-checkpoint).
type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

func parseCheckpoint(text string) (checkpoint, error) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		return checkpoint{}, fmt.Errorf("checkpoint has %d lines", len(lines))
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		return checkpoint{}, err
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		return checkpoint{}, err
	}
	return checkpoint{lines[0], size, root}, nil
}

// openNote verifies the log's signature and every required cosignature, and returns the checkpoint.
func openNote(n signedNote) (checkpoint, error) {
	logKey, err := note.NewVerifier(n.Vkey)
	if err != nil {
		return checkpoint{}, err
	}
	verifiers := []note.Verifier{logKey}
	for _, c := range n.Cosigners {
		v, err := newCosigner(c)
		if err != nil {
			return checkpoint{}, err
		}
		verifiers = append(verifiers, v)
	}
	opened, err := note.Open([]byte(n.Note), note.VerifierList(verifiers...))
	if err != nil {
		return checkpoint{}, err
	}
	for _, v := range verifiers {
		found := false
		for _, s := range opened.Sigs {
			found = found || (s.Name == v.Name() && s.Hash == v.KeyHash())
		}
		if !found {
			return checkpoint{}, fmt.Errorf("no valid signature by %s", v.Name())
		}
	}
	cp, err := parseCheckpoint(opened.Text)
	if err == nil && cp.origin != logKey.Name() {
		err = fmt.Errorf("origin %q is not the log key name %q", cp.origin, logKey.Name())
	}
	return cp, err
}

func hashes(b64 []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(b64))
	for i, s := range b64 {
		h, err := tlog.ParseHash(s)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}

// head parses a note's checkpoint without verifying it (notes are verified on their own).
func head(text string) (checkpoint, error) {
	i := strings.Index(text, "\n\n")
	if i < 0 {
		return checkpoint{}, fmt.Errorf("not a signed note")
	}
	return parseCheckpoint(text[:i+1])
}

func run(in input) error {
	for i, n := range in.Notes {
		if _, err := openNote(n); err != nil {
			return fmt.Errorf("note %d: %v", i, err)
		}
	}
	for i, p := range in.Inclusion {
		cp, err := head(p.Note)
		leaf, err2 := base64.StdEncoding.DecodeString(p.Leaf)
		proof, err3 := hashes(p.Proof)
		if err != nil || err2 != nil || err3 != nil {
			return fmt.Errorf("inclusion %d: malformed", i)
		}
		if err := tlog.CheckRecord(proof, cp.size, cp.root, p.Index, tlog.RecordHash(leaf)); err != nil {
			return fmt.Errorf("inclusion %d: %v", i, err)
		}
	}
	for i, c := range in.Consistency {
		old, err := head(c.Old)
		cur, err2 := head(c.New)
		proof, err3 := hashes(c.Proof)
		if err != nil || err2 != nil || err3 != nil {
			return fmt.Errorf("consistency %d: malformed", i)
		}
		if err := tlog.CheckTree(proof, cur.size, cur.root, old.size, old.root); err != nil {
			return fmt.Errorf("consistency %d: %v", i, err)
		}
	}
	for i, t := range in.Tiled {
		if err := checkTiled(t); err != nil {
			return fmt.Errorf("tiled log %d: %v", i, err)
		}
	}
	return nil
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fmt.Println("input:", err)
		os.Exit(1)
	}
	if err := run(in); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	summary := fmt.Sprintf("ok: %d notes, %d inclusion proofs, %d consistency proofs",
		len(in.Notes), len(in.Inclusion), len(in.Consistency))
	if len(in.Tiled) > 0 {
		entries := 0
		for _, t := range in.Tiled {
			entries += len(t.Entries)
		}
		summary += fmt.Sprintf(", %d tiled logs (%d entries)", len(in.Tiled), entries)
	}
	fmt.Println(summary)
}
