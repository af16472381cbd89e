//go:build gocv

// wechat.cpp: cgo wrapper over cv::wechat_qrcode::WeChatQRCode (Debian libopencv-contrib-dev
// 4.6). Built without its CNN model files (empty paths): the whole frame is the one candidate,
// and it reports no position, so locate() finds one.
#include "wechat.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#include <opencv2/wechat_qrcode.hpp>

// locate finds where each decoded text is: OpenCV's geometric QR detector proposes quadrangles
// (it needs no decoder), and a quadrangle is accepted for a text when WeChat reads that text
// from a crop around it. Texts it cannot place keep the whole frame as their region.
static void locate(cv::wechat_qrcode::WeChatQRCode* d, const cv::Mat& img,
	const std::vector<std::string>& texts, std::vector<std::vector<cv::Point2f>>& where)
{
	cv::QRCodeDetector qd;
	std::vector<cv::Point2f> found;
	std::vector<std::vector<cv::Point2f>> quads;
	if (qd.detectMulti(img, found)) {
		for (size_t i = 0; i + 3 < found.size(); i += 4)
			quads.push_back({found[i], found[i + 1], found[i + 2], found[i + 3]});
	} else if (qd.detect(img, found) && found.size() == 4) {
		quads.push_back(found);
	}
	std::sort(quads.begin(), quads.end(), [](const auto& a, const auto& b) {
		return cv::contourArea(a) > cv::contourArea(b);
	});
	size_t placed = 0;
	for (size_t q = 0; q < quads.size() && q < 6 && placed < texts.size(); q++) {
		cv::Rect box = cv::boundingRect(quads[q]);
		int m = std::max(box.width, box.height) / 5 + 4;
		box = cv::Rect(box.x - m, box.y - m, box.width + 2 * m, box.height + 2 * m) & cv::Rect(0, 0, img.cols, img.rows);
		if (box.width < 21 || box.height < 21)
			continue;
		for (const auto& t : d->detectAndDecode(img(box).clone())) {
			for (size_t i = 0; i < texts.size(); i++) {
				if (where[i].empty() && texts[i] == t) {
					where[i] = quads[q];
					placed++;
					break;
				}
			}
		}
	}
}

void* wechat_new(void)
{
	try {
		return new cv::wechat_qrcode::WeChatQRCode("", "", "", "");
	} catch (...) {
		return nullptr;
	}
}

void wechat_free(void* h)
{
	delete static_cast<cv::wechat_qrcode::WeChatQRCode*>(h);
}

static char* dupError(const char* msg)
{
	size_t n = std::strlen(msg);
	char* s = static_cast<char*>(std::malloc(n + 1));
	if (s)
		std::memcpy(s, msg, n + 1);
	return s;
}

WeChatResults wechat_decode(void* h, const unsigned char* pix, int width, int height, int stride, int max_side)
{
	WeChatResults r = {0, nullptr, nullptr, nullptr, nullptr};
	auto* d = static_cast<cv::wechat_qrcode::WeChatQRCode*>(h);
	try {
		cv::Mat view(height, width, CV_8UC1, const_cast<unsigned char*>(pix), size_t(stride));
		// WeChat's decoder reads the pixels as if rows were contiguous (it ignores the step of
		// a Mat that is a view into a larger one), so a strided plane is copied first.
		cv::Mat img = view.isContinuous() ? view : view.clone();
		float back = 1; // plane coordinates per pixel of img
		if (max_side > 0 && std::max(width, height) > max_side) {
			double f = double(max_side) / std::max(width, height);
			cv::Mat small;
			cv::resize(img, small, cv::Size(), f, f, cv::INTER_AREA);
			img = small;
			back = float(std::max(width, height)) / float(std::max(img.cols, img.rows));
		}
		std::vector<std::string> texts = d->detectAndDecode(img);
		int n = int(texts.size());
		if (n == 0)
			return r;
		std::vector<std::vector<cv::Point2f>> where(texts.size());
		locate(d, img, texts, where);
		r.texts = static_cast<char**>(std::calloc(n, sizeof(char*)));
		r.lens = static_cast<int*>(std::calloc(n, sizeof(int)));
		r.points = static_cast<float*>(std::calloc(size_t(n) * 8, sizeof(float)));
		if (!r.texts || !r.lens || !r.points) {
			wechat_results_free(r);
			r = WeChatResults{0, nullptr, nullptr, nullptr, dupError("out of memory")};
			return r;
		}
		r.n = n;
		for (int i = 0; i < n; i++) {
			r.lens[i] = int(texts[i].size());
			r.texts[i] = static_cast<char*>(std::malloc(texts[i].size() + 1));
			if (r.texts[i])
				std::memcpy(r.texts[i], texts[i].data(), texts[i].size());
			else
				r.lens[i] = 0;
			std::vector<cv::Point2f> q = where[i];
			if (q.size() != 4) // not placed: the whole frame
				q = {{0, 0}, {float(width), 0}, {float(width), float(height)}, {0, float(height)}};
			for (int k = 0; k < 4; k++) {
				r.points[i * 8 + 2 * k] = q[k].x * (where[i].size() == 4 ? back : 1);
				r.points[i * 8 + 2 * k + 1] = q[k].y * (where[i].size() == 4 ? back : 1);
			}
		}
	} catch (const std::exception& e) {
		wechat_results_free(r);
		r = WeChatResults{0, nullptr, nullptr, nullptr, dupError(e.what())};
	} catch (...) {
		wechat_results_free(r);
		r = WeChatResults{0, nullptr, nullptr, nullptr, dupError("unknown exception")};
	}
	return r;
}

void wechat_results_free(WeChatResults r)
{
	if (r.texts) {
		for (int i = 0; i < r.n; i++)
			std::free(r.texts[i]);
	}
	std::free(r.texts);
	std::free(r.lens);
	std::free(r.points);
	std::free(r.error);
}
