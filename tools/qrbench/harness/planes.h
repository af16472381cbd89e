// planes.h: reads the grey-plane file written by qrbench (u32 count, then per image u32 width,
// u32 height and width*height bytes, little-endian). A harness then reads image indexes on stdin
// and answers each with "i IDX MS N", N lines "c HEXTEXT NPTS x y ...", and "e".
#pragma once
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

struct Plane {
	uint32_t w = 0, h = 0;
	std::vector<uint8_t> pix;
};

static std::vector<Plane> readPlanes(const char* path)
{
	std::vector<Plane> out;
	FILE* f = std::fopen(path, "rb");
	if (!f) {
		std::perror(path);
		std::exit(1);
	}
	uint32_t n = 0;
	if (std::fread(&n, 4, 1, f) != 1) {
		std::fprintf(stderr, "%s: short file\n", path);
		std::exit(1);
	}
	out.resize(n);
	for (auto& p : out) {
		uint32_t wh[2];
		if (std::fread(wh, 4, 2, f) != 2) {
			std::fprintf(stderr, "%s: short file\n", path);
			std::exit(1);
		}
		p.w = wh[0];
		p.h = wh[1];
		p.pix.resize(size_t(p.w) * p.h);
		if (std::fread(p.pix.data(), 1, p.pix.size(), f) != p.pix.size()) {
			std::fprintf(stderr, "%s: short file\n", path);
			std::exit(1);
		}
	}
	std::fclose(f);
	return out;
}

static std::string hexOf(const std::string& s)
{
	if (s.empty())
		return "-";
	static const char* d = "0123456789abcdef";
	std::string h;
	for (unsigned char c : s) {
		h += d[c >> 4];
		h += d[c & 15];
	}
	return h;
}

using Clock = std::chrono::steady_clock;

static double msSince(Clock::time_point t0)
{
	return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}
