package importer

import (
	"fmt"
	"os"
	"strings"
)

// loadKey reads the API key from the token file at path (shown as the
// operator named it), or else TOPO_API_KEY. It never appears in a
// message: only where it came from does. warning is set when the token
// file can be read by others, as ssh warns of keys.
func loadKey(path, shown string, getenv func(string) string) (key, warning string, err error) {
	if path == "" {
		key := strings.TrimSpace(getenv("TOPO_API_KEY"))
		if key == "" {
			return "", "", Usagef("no API key: set TOPO_API_KEY or pass --token-file PATH")
		}
		return key, "", nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return "", "", Usagef("--token-file: %v", err)
	}
	if st.IsDir() {
		return "", "", Usagef("--token-file %s is a folder", shown)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		warning = fmt.Sprintf("the token file %s can be read by others (mode %04o): chmod 600 %s", shown, perm, shown)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", Usagef("--token-file: %v", err)
	}
	key = strings.TrimSpace(string(b))
	if key == "" || strings.ContainsAny(key, "\r\n") {
		return "", "", Usagef("--token-file %s: want one key on one line", shown)
	}
	return key, warning, nil
}
