#define _XOPEN_SOURCE 700
#define _GNU_SOURCE 1
#include <fcntl.h>
#include <langinfo.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include "CNcurses.h"
#include <ncursesw/term.h>

int weave_a_normal(void) { return (int)A_NORMAL; }
int weave_a_reverse(void) { return (int)A_REVERSE; }
int weave_a_bold(void) { return (int)A_BOLD; }
int weave_a_underline(void) { return (int)A_UNDERLINE; }
int weave_a_dim(void) { return (int)A_DIM; }
WINDOW *weave_stdscr(void) { return stdscr; }
int weave_lines(void) { return LINES; }
int weave_cols(void) { return COLS; }
unsigned long weave_button1_clicks(void) {
    return (unsigned long)(BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED | BUTTON1_RELEASED);
}
int weave_is_button1(unsigned long bstate) {
    return (bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED)) != 0;
}
unsigned long weave_mouse_all(void) { return (unsigned long)(ALL_MOUSE_EVENTS | REPORT_MOUSE_POSITION); }
int weave_mouse_kind(unsigned long b) {
    if (b & BUTTON4_PRESSED) return 4;
#ifdef BUTTON5_PRESSED
    if (b & BUTTON5_PRESSED) return 5;
#endif
    if (b & REPORT_MOUSE_POSITION) return 3;
    if (b & (BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED | BUTTON1_TRIPLE_CLICKED)) return 1;
    if (b & BUTTON1_RELEASED) return 2;
    return 0;
}
int weave_mouse_shift(unsigned long b) { return (b & BUTTON_SHIFT) != 0; }
int weave_wcwidth(wchar_t c) { return wcwidth(c); }
int weave_pipe_nonblock(int fds[2]) { return pipe2(fds, O_CLOEXEC | O_NONBLOCK); }
int weave_set_nonblock(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) return -1;
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}
static short weave_background = COLOR_BLACK;
int weave_start_colours(void) {
    if (!has_colors()) return 0;
    if (start_color() != OK) return 0;
    short bg = use_default_colors() == OK ? -1 : COLOR_BLACK;
    weave_background = bg;
    for (short i = 1; i <= 7 && i < COLOR_PAIRS; i++) init_pair(i, i, bg);
    return 1;
}
int weave_start_palette(int base, const short *fg, int n) {
    if (COLORS < 256 || COLOR_PAIRS < base + n) return 0;
    for (int i = 0; i < n; i++) init_pair((short)(base + i), fg[i], weave_background);
    return 1;
}
int weave_colour_pair(int i) { return (int)COLOR_PAIR(i); }
void weave_attrset(int a) { attrset(a); }
void weave_restore_terminal(void) {
    static const char seq[] = "\033[?2004l\033[?1000l\033[?1002l\033[?1006l";
    ssize_t ignored = write(1, seq, sizeof seq - 1);
    (void)ignored;
    if (!isendwin()) endwin();
}

/* setupterm and tigetstr go through ncurses' one global cur_term, so two
 * threads checking at once (the test runner runs cases in parallel) would
 * free each other's terminal: one check at a time. */
static pthread_mutex_t check_term_lock = PTHREAD_MUTEX_INITIALIZER;
int weave_check_term(const char *term) {
    pthread_mutex_lock(&check_term_lock);
    TERMINAL *before = cur_term;
    int err = 0, result;
    if (setupterm((char *)term, 1, &err) != OK) {
        result = err == -1 ? 2 : 1;
    } else {
        const char *cup = tigetstr("cup");
        int addressable = cup != NULL && cup != (char *)-1 && tigetflag("hc") <= 0 && tigetflag("gn") <= 0;
        TERMINAL *t = cur_term;
        set_curterm(before);
        if (t != before) del_curterm(t);
        result = addressable ? 0 : 3;
    }
    pthread_mutex_unlock(&check_term_lock);
    return result;
}
const char *weave_codeset(void) { return nl_langinfo(CODESET); }
int weave_newterm(void) {
    if (newterm(NULL, stdout, stdin) == NULL) return 0;
    def_prog_mode();  /* as initscr does after newterm */
    return 1;
}
