#ifndef WEAVE_CNCURSES_H
#define WEAVE_CNCURSES_H

/* The wide-character API must be switched on here, before the include: defines
 * given as cSettings reach only the C compile, and Swift would not see get_wch. */
#define _XOPEN_SOURCE_EXTENDED 1
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <wchar.h>
#include <ncursesw/curses.h>

/* Macros and globals Swift cannot import, as one-line functions. */
int weave_a_normal(void);
int weave_a_reverse(void);
int weave_a_bold(void);
int weave_a_underline(void);
int weave_a_dim(void);
WINDOW *weave_stdscr(void);
int weave_lines(void);
int weave_cols(void);
unsigned long weave_button1_clicks(void);
/* Every button event and motion reports: the mask for mousemask. */
unsigned long weave_mouse_all(void);
/* What a mouse event is: 0 nothing we use, 1 button 1 down, 2 button 1 up,
 * 3 motion (with a button held: a drag), 4 wheel up, 5 wheel down. */
int weave_mouse_kind(unsigned long bstate);
/* 1 when Shift was held. */
int weave_mouse_shift(unsigned long bstate);
/* 1 when the mouse event is a press or click of button 1. */
int weave_is_button1(unsigned long bstate);
int weave_wcwidth(wchar_t c);
/* pipe2(fds, O_CLOEXEC | O_NONBLOCK); returns 0 or -1 with errno set. */
int weave_pipe_nonblock(int fds[2]);
/* Sets O_NONBLOCK on fd; returns 0 or -1. */
int weave_set_nonblock(int fd);

/* start_color + use_default_colors, then pair i (1...7) = curses colour i
 * (red, green, yellow, blue, magenta, cyan, white) on the default background.
 * Returns 1 when colours are available, else 0. */
int weave_start_colours(void);
/* When the terminal has 256 colours: pairs base ... base+n-1 = palette
 * colours fg[0...n-1] on the default background; returns 1, else 0 (and
 * nothing is set). Call after weave_start_colours. */
int weave_start_palette(int base, const short *fg, int n);
/* COLOR_PAIR(i) as an attribute. */
int weave_colour_pair(int i);

/* attrset(a) on stdscr. */
void weave_attrset(int a);
/* Writes the restore sequences (bracketed paste and mouse off) to fd 1 and
 * calls endwin: used by signal handlers and on exit. */
void weave_restore_terminal(void);

/* Whether terminfo describes `term` as a terminal weave can drive, without
 * writing anything: 0 yes; 1 no such terminal type; 2 no terminfo database;
 * 3 it cannot address the cursor (dumb, hard-copy, generic). */
int weave_check_term(const char *term);
/* nl_langinfo(CODESET): the current LC_CTYPE's character set ("UTF-8", "ANSI_X3.4-1968", ...). */
const char *weave_codeset(void);
/* newterm(NULL, stdout, stdin): 1 when the screen started, 0 (and nothing
 * printed, unlike initscr, which exits) when it did not. */
int weave_newterm(void);

#endif
