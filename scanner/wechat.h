// wechat.h: a C interface over OpenCV contrib's cv::wechat_qrcode::WeChatQRCode, for cgo.
#ifndef CHECKPOINT_WECHAT_H
#define CHECKPOINT_WECHAT_H
#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
	int n;          // number of codes
	char** texts;   // n payloads, not NUL-terminated
	int* lens;      // n payload lengths
	float* points;  // n*8 floats: four corners x,y
	char* error;    // non-NULL when OpenCV threw
} WeChatResults;

void* wechat_new(void);
void wechat_free(void* h);
// max_side > 0: a plane whose longer side exceeds it is shrunk to it (area filter) before
// decoding; the corners come back in the plane's coordinates.
WeChatResults wechat_decode(void* h, const unsigned char* pix, int width, int height, int stride, int max_side);
void wechat_results_free(WeChatResults r);

#ifdef __cplusplus
}
#endif
#endif
