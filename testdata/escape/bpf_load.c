/* bpf_load.c - use bpf(): BPF_MAP_CREATE of a one-entry array and
 * BPF_PROG_LOAD of a trivial socket filter ("return 0").
 *
 *   bpf_load
 *
 * REACHED when either call succeeds. Inside netbox the program is root
 * only in a user namespace of its own, which gives no CAP_BPF/CAP_SYS_ADMIN
 * over the host: EPERM (with kernel.unprivileged_bpf_disabled set).
 */
#include "escape.h"
#include <linux/bpf.h>
#include <sys/syscall.h>

static long bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

int main(void)
{
	escape_init();
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = 4;
	a.max_entries = 1;
	long map = bpf(BPF_MAP_CREATE, &a);
	int map_err = map < 0 ? errno : 0;
	note("BPF_MAP_CREATE: %ld %s", map, ename(map_err));

	struct bpf_insn insns[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	static const char license[] = "GPL";
	memset(&a, 0, sizeof a);
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (unsigned long)insns;
	a.insn_cnt = sizeof insns / sizeof insns[0];
	a.license = (unsigned long)license;
	long prog = bpf(BPF_PROG_LOAD, &a);
	int prog_err = prog < 0 ? errno : 0;
	note("BPF_PROG_LOAD socket filter: %ld %s", prog, ename(prog_err));

	if (map >= 0 || prog >= 0)
		reached("bpf map_create=%s prog_load=%s", ename(map_err), ename(prog_err));
	blocked(map_err, "map_create %s, prog_load %s", ename(map_err), ename(prog_err));
}
