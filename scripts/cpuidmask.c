/*
 * cpuidmask: an LD_PRELOAD library that makes a process see an x86 CPU
 * without AVX-512 and AVX-VNNI, so that a program which picks its kernels
 * from CPUID (ONNX Runtime's MLAS) runs the AVX2 ones it would run on an
 * AVX2-only CPU. scripts/bench-vs-ort uses it to compare our AVX2 backend
 * with ONNX Runtime's AVX2 kernels on the same core (and, with
 * CPUIDMASK_KEEP below, our AVX-VNNI backend with its AVX-VNNI ones).
 *
 * It turns on Linux's CPUID faulting (arch_prctl ARCH_SET_CPUID, needs the
 * cpuid_fault CPU flag), so each CPUID raises SIGSEGV; the handler runs the
 * real CPUID with faulting briefly off, clears the feature bits and steps
 * over the instruction. Faulting is a per-thread flag that threads and forks
 * inherit and execve resets, which is why this must be preloaded. Other
 * SIGSEGVs go to whatever handler the program installs (V8 installs one),
 * which sigaction below records instead of installing.
 *
 * Where there is no CPUID faulting (most VMs on AMD hosts), CPUIDMASK_TRAP=1
 * answers instead the CPUIDs that scripts/cpuidpatch rewrote, in a copy of
 * the program's library, as INT3; NOP: each raises SIGTRAP just past its
 * INT3, and the handler answers as above and steps over the NOP. Only the
 * patched library is masked; the rest of the process sees the real CPU.
 *
 * CPUIDMASK_KEEP=avxvnni keeps AVX-VNNI (and AVX-IFMA, AVX-VNNI-INT8/16,
 * AVX-NE-CONVERT) visible and hides only AVX-512 and AMX: the CPU an Intel
 * Alder Lake or later client core is, where ONNX Runtime runs its AVX-VNNI
 * kernels.
 *
 * CPUIDMASK_LOG=FILE appends one line per leaf-7 query, with the register
 * (EBX of subleaf 0, EAX of subleaf 1) as the CPU gave it and as the program
 * got it, so the caller can check that the program asked and what it was told.
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <cpuid.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

typedef int sigaction_fn(int, const struct sigaction *, struct sigaction *);

static sigaction_fn *real_sigaction;
static int owned;             /* the signal CPUID arrives by: SIGSEGV or SIGTRAP */
static struct sigaction app;  /* the program's own disposition of it */
static const char *log_path;

/* Leaf 7 subleaf 0: AVX-512 F, DQ, IFMA, PF, ER, CD, BW, VL in EBX; VBMI,
 * VBMI2, VNNI, BITALG, VPOPCNTDQ in ECX; 4VNNIW, 4FMAPS, VP2INTERSECT, FP16
 * and AMX in EDX. Subleaf 1: AVX-VNNI, AVX512_BF16, AVX-IFMA in EAX;
 * AVX-VNNI-INT8, AVX-NE-CONVERT, AVX-VNNI-INT16, AVX10 in EDX. */
#define BIT(n) (1u << (n))
static const unsigned leaf7_ebx = BIT(16) | BIT(17) | BIT(21) | BIT(26) | BIT(27) | BIT(28) | BIT(30) | BIT(31);
static const unsigned leaf7_ecx = BIT(1) | BIT(6) | BIT(11) | BIT(12) | BIT(14);
static const unsigned leaf7_edx = BIT(2) | BIT(3) | BIT(8) | BIT(22) | BIT(23) | BIT(24) | BIT(25);
static const unsigned leaf7s1_eax = BIT(4) | BIT(5) | BIT(23);
static const unsigned leaf7s1_edx = BIT(4) | BIT(5) | BIT(10) | BIT(19);
/* With CPUIDMASK_KEEP=avxvnni, subleaf 1 loses only AVX512_BF16 and AVX10. */
static const unsigned keep_s1_eax = BIT(5);
static const unsigned keep_s1_edx = BIT(19);
static unsigned s1_eax = leaf7s1_eax, s1_edx = leaf7s1_edx;

static long set_cpuid(int on) { return syscall(SYS_arch_prctl, ARCH_SET_CPUID, on); }

static void note(unsigned sub, unsigned before, unsigned after) {
	char line[96];
	int fd, n;
	if (!log_path)
		return;
	fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (fd < 0)
		return;
	n = snprintf(line, sizeof line, "pid %d leaf 7.%u: %08x -> %08x\n", (int)getpid(), sub, before, after);
	if (write(fd, line, n) < 0) {
		/* nothing to do: the log is only evidence */
	}
	close(fd);
}

/* forward passes a signal that is not a CPUID of ours to the program's handler. */
static void forward(int sig, siginfo_t *si, void *ctx) {
	if (app.sa_flags & SA_SIGINFO) {
		app.sa_sigaction(sig, si, ctx);
	} else if (app.sa_handler != SIG_DFL && app.sa_handler != SIG_IGN) {
		app.sa_handler(sig);
	} else {
		/* Let the signal recur with the default action: a crash, as without us. */
		struct sigaction dfl = {.sa_handler = SIG_DFL};
		real_sigaction(sig, &dfl, NULL);
	}
}

/* answer sets the registers to what CPUID leaf RAX, subleaf RCX returns with
 * the feature bits cleared. */
static void answer(greg_t *g) {
	unsigned leaf = (unsigned)g[REG_RAX], sub = (unsigned)g[REG_RCX], a, b, c, d;

	if (owned == SIGSEGV)
		set_cpuid(1);
	__cpuid_count(leaf, sub, a, b, c, d);
	if (owned == SIGSEGV)
		set_cpuid(0);
	if (leaf == 7 && sub == 0) {
		unsigned before = b;
		b &= ~leaf7_ebx;
		c &= ~leaf7_ecx;
		d &= ~leaf7_edx;
		note(0, before, b);
	} else if (leaf == 7 && sub == 1) {
		unsigned before = a;
		a &= ~s1_eax;
		d &= ~s1_edx;
		note(1, before, a);
	}
	g[REG_RAX] = a;
	g[REG_RBX] = b;
	g[REG_RCX] = c;
	g[REG_RDX] = d;
}

static void on_segv(int sig, siginfo_t *si, void *ctx) {
	greg_t *g = ((ucontext_t *)ctx)->uc_mcontext.gregs;
	const unsigned char *ip = (const unsigned char *)g[REG_RIP];

	/* A faulting CPUID arrives as a general-protection fault (SI_KERNEL). */
	if (si->si_code != SI_KERNEL || ip[0] != 0x0f || ip[1] != 0xa2) {
		forward(sig, si, ctx);
		return;
	}
	answer(g);
	g[REG_RIP] += 2;
}

static void on_trap(int sig, siginfo_t *si, void *ctx) {
	greg_t *g = ((ucontext_t *)ctx)->uc_mcontext.gregs;
	const unsigned char *ip = (const unsigned char *)g[REG_RIP];

	/* INT3 leaves RIP past itself, here at the NOP that scripts/cpuidpatch
	 * put after it. */
	if (si->si_code != SI_KERNEL || ip[-1] != 0xcc || ip[0] != 0x90) {
		forward(sig, si, ctx);
		return;
	}
	answer(g);
	g[REG_RIP] += 1;
}

int sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
	if (sig != owned)
		return real_sigaction(sig, act, old);
	if (old)
		*old = app;
	if (act)
		app = *act;
	return 0;
}

__attribute__((constructor)) static void init(void) {
	struct sigaction sa;
	const char *keep = getenv("CPUIDMASK_KEEP"), *trap = getenv("CPUIDMASK_TRAP");

	real_sigaction = (sigaction_fn *)dlsym(RTLD_NEXT, "sigaction");
	log_path = getenv("CPUIDMASK_LOG");
	if (keep && strcmp(keep, "avxvnni") == 0) {
		s1_eax = keep_s1_eax;
		s1_edx = keep_s1_edx;
	} else if (keep && *keep) {
		fprintf(stderr, "cpuidmask: CPUIDMASK_KEEP=%s: only avxvnni is known\n", keep);
		_exit(64);
	}
	owned = trap && strcmp(trap, "1") == 0 ? SIGTRAP : SIGSEGV;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = owned == SIGTRAP ? on_trap : on_segv;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (real_sigaction(owned, &sa, &app) != 0) {
		fprintf(stderr, "cpuidmask: sigaction: cannot install the handler\n");
		_exit(70);
	}
	if (owned == SIGSEGV && set_cpuid(0) != 0) {
		fprintf(stderr, "cpuidmask: CPUID faulting is not available here (see CPUIDMASK_TRAP)\n");
		_exit(70);
	}
}
