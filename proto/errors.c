#include "errors.h"

const char *
parley_strerror(int code)
{
	switch (code) {
	case PARLEY_OK: return "ok";
	case PARLEY_EREFUSED: return "refused";
	case PARLEY_EUSAGE: return "bad request";
	case PARLEY_EUNAVAIL: return "unavailable";
	case PARLEY_EPROTO: return "protocol error";
	case PARLEY_EAUTH: return "not authorised";
	case PARLEY_ENOTFOUND: return "not found";
	case PARLEY_ESTORE: return "store failure";
	case PARLEY_EVERSION: return "protocol version mismatch";
	}
	return "unknown error";
}
