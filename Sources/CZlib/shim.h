#include <zlib.h>
#include <errno.h>
#include <string.h>
