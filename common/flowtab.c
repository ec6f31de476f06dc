/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Live-flow table: a chained hash on the direction-free key, two lists in
 * order of last activity (open flows and closed TCP flows, each with its
 * own timeout, so expiry only ever looks at list heads), a min-heap of the
 * live flows' start times and a min-heap of finished records waiting for
 * their turn in the output.  Flow structures are recycled through a free
 * list: nothing is allocated per packet except the growth of per-packet
 * lists when they are asked for.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "flowtab.h"

struct ft_key {
	uint8_t addr[2][16];     /* side 0 is the lower (address, port) */
	uint16_t port[2];
	uint8_t family;
	uint8_t proto;
	uint8_t pad[2];
};

struct ft_flow {
	struct ft_key key;
	struct flowrec rec;
	struct ft_flow *hnext;   /* hash chain, or free list */
	struct ft_flow *prev;    /* activity list */
	struct ft_flow *next;
	uint64_t last_ns;
	uint32_t heap_ix;        /* in the live heap */
	uint32_t pkt_cap;
	uint32_t pay_cap;
	uint8_t client_side;     /* key side of the client */
	uint8_t fins;            /* bit per direction that sent a FIN */
	bool closed;
	bool syn_known;          /* the client sent a SYN we saw */
};

struct ft_list {
	struct ft_flow *head;
	struct ft_flow *tail;
};

struct flowtab {
	struct flowtab_conf conf;
	flowtab_emit_fn emit;
	void *arg;
	struct ft_flow **buckets;
	uint32_t nbuckets;
	uint64_t nlive;
	struct ft_list open;
	struct ft_list closed;
	struct ft_flow *free;
	struct ft_flow **live;   /* heap by rec.start_ns */
	uint32_t live_cap;
	struct flowrec *pend;    /* heap by (start, key) */
	uint64_t npend;
	uint64_t pend_cap;
	uint64_t now;
	int err;
	struct flowtab_stats st;
};

static uint64_t
key_hash(const struct ft_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h ^ (h >> 29);
}

static void
list_del(struct ft_list *l, struct ft_flow *f)
{
	if (f->prev)
		f->prev->next = f->next;
	else
		l->head = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		l->tail = f->prev;
	f->prev = f->next = NULL;
}

static void
list_add(struct ft_list *l, struct ft_flow *f)
{
	f->next = NULL;
	f->prev = l->tail;
	if (l->tail)
		l->tail->next = f;
	else
		l->head = f;
	l->tail = f;
}

/* Live heap of flows by start time: the output watermark. */
static void
live_swap(struct flowtab *t, uint32_t a, uint32_t b)
{
	struct ft_flow *x = t->live[a];

	t->live[a] = t->live[b];
	t->live[b] = x;
	t->live[a]->heap_ix = a;
	t->live[b]->heap_ix = b;
}

static void
live_up(struct flowtab *t, uint32_t i)
{
	while (i > 0 && t->live[(i - 1) / 2]->rec.start_ns >
	    t->live[i]->rec.start_ns) {
		live_swap(t, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
live_down(struct flowtab *t, uint32_t i, uint32_t n)
{
	uint32_t m, l;

	for (;;) {
		m = i;
		l = 2 * i + 1;
		if (l < n && t->live[l]->rec.start_ns <
		    t->live[m]->rec.start_ns)
			m = l;
		if (l + 1 < n && t->live[l + 1]->rec.start_ns <
		    t->live[m]->rec.start_ns)
			m = l + 1;
		if (m == i)
			return;
		live_swap(t, i, m);
		i = m;
	}
}

static void
live_remove(struct flowtab *t, struct ft_flow *f)
{
	uint32_t i = f->heap_ix, n = (uint32_t)t->nlive - 1;

	if (i != n) {
		live_swap(t, i, n);
		live_down(t, i, n);
		live_up(t, i);
	}
}

/* Records in output order: start time, then protocol, then endpoints. */
static int
rec_cmp(const struct flowrec *a, const struct flowrec *b)
{
	int c;

	if (a->start_ns != b->start_ns)
		return a->start_ns < b->start_ns ? -1 : 1;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if ((c = memcmp(a->client_addr, b->client_addr, 16)) != 0)
		return c;
	if (a->client_port != b->client_port)
		return a->client_port < b->client_port ? -1 : 1;
	if ((c = memcmp(a->server_addr, b->server_addr, 16)) != 0)
		return c;
	if (a->server_port != b->server_port)
		return a->server_port < b->server_port ? -1 : 1;
	return a->end_ns < b->end_ns ? -1 : a->end_ns > b->end_ns;
}

static void
pend_down(struct flowtab *t, uint64_t i)
{
	struct flowrec x;
	uint64_t m, l;

	for (;;) {
		m = i;
		l = 2 * i + 1;
		if (l < t->npend && rec_cmp(&t->pend[l], &t->pend[m]) < 0)
			m = l;
		if (l + 1 < t->npend &&
		    rec_cmp(&t->pend[l + 1], &t->pend[m]) < 0)
			m = l + 1;
		if (m == i)
			return;
		x = t->pend[i];
		t->pend[i] = t->pend[m];
		t->pend[m] = x;
		i = m;
	}
}

static int
pend_push(struct flowtab *t, const struct flowrec *r)
{
	struct flowrec x, *n;
	uint64_t i;

	if (t->npend == t->pend_cap) {
		t->pend_cap = t->pend_cap ? t->pend_cap * 2 : 256;
		n = realloc(t->pend, t->pend_cap * sizeof(*n));
		if (n == NULL)
			return -ENOMEM;
		t->pend = n;
	}
	i = t->npend++;
	t->pend[i] = *r;
	while (i > 0 && rec_cmp(&t->pend[i], &t->pend[(i - 1) / 2]) < 0) {
		x = t->pend[i];
		t->pend[i] = t->pend[(i - 1) / 2];
		t->pend[(i - 1) / 2] = x;
		i = (i - 1) / 2;
	}
	if (t->npend > t->st.pending_max)
		t->st.pending_max = t->npend;
	return 0;
}

/* Emits every waiting record that started before the watermark (all of
   them when all is set). */
static int
pend_drain(struct flowtab *t, uint64_t watermark, bool all)
{
	struct flowrec r;
	int rc;

	while (t->npend > 0 && (all || t->pend[0].start_ns < watermark)) {
		r = t->pend[0];
		t->pend[0] = t->pend[--t->npend];
		pend_down(t, 0);
		rc = t->emit(t->arg, &r);
		free(r.pkt);
		free(r.payload);
		t->st.flows++;
		if (rc != 0)
			return t->err = rc;
	}
	return 0;
}

static uint64_t
watermark(const struct flowtab *t)
{
	uint64_t w = t->now;

	if (t->nlive > 0 && t->live[0]->rec.start_ns < w)
		w = t->live[0]->rec.start_ns;
	return w;
}

static struct ft_flow **
bucket(struct flowtab *t, const struct ft_key *k)
{
	return &t->buckets[key_hash(k) & (t->nbuckets - 1)];
}

static int
grow_buckets(struct flowtab *t)
{
	struct ft_flow **old = t->buckets, *f, *n;
	uint32_t oldn = t->nbuckets;

	t->nbuckets = oldn * 2;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	if (t->buckets == NULL) {
		t->buckets = old;
		t->nbuckets = oldn;
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < oldn; i++)
		for (f = old[i]; f != NULL; f = n) {
			n = f->hnext;
			f->hnext = *bucket(t, &f->key);
			*bucket(t, &f->key) = f;
		}
	free(old);
	return 0;
}

/* Takes a flow out of the table and queues its record. */
static int
finish(struct flowtab *t, struct ft_flow *f, enum flowrec_end why)
{
	struct ft_flow **pp;
	int rc;

	for (pp = bucket(t, &f->key); *pp != f; pp = &(*pp)->hnext)
		;
	*pp = f->hnext;
	list_del(f->closed ? &t->closed : &t->open, f);
	live_remove(t, f);
	t->nlive--;
	f->rec.end = why;
	rc = pend_push(t, &f->rec);
	f->rec.pkt = NULL;
	f->rec.payload = NULL;
	f->hnext = t->free;
	t->free = f;
	return rc;
}

static int
expire(struct flowtab *t)
{
	struct ft_flow *f;
	int rc;

	while ((f = t->closed.head) != NULL &&
	    t->now - f->last_ns > FLOWTAB_LINGER_NS)
		if ((rc = finish(t, f, f->rec.end)) < 0)
			return rc;
	while (t->conf.idle_ns && (f = t->open.head) != NULL &&
	    t->now - f->last_ns > t->conf.idle_ns)
		if ((rc = finish(t, f, FLOWREC_END_IDLE)) < 0)
			return rc;
	return 0;
}

static void
make_key(struct ft_key *k, const struct capture_ip *ip, int *side)
{
	uint32_t alen = ip->family == 6 ? 16 : 4;
	int c;

	memset(k, 0, sizeof(*k));
	k->family = ip->family;
	k->proto = ip->proto;
	c = memcmp(ip->src, ip->dst, alen);
	if (c == 0)
		c = ip->sport < ip->dport ? -1 : ip->sport > ip->dport;
	*side = c <= 0 ? 0 : 1;
	memcpy(k->addr[*side], ip->src, alen);
	memcpy(k->addr[!*side], ip->dst, alen);
	k->port[*side] = ip->sport;
	k->port[!*side] = ip->dport;
}

static struct ft_flow *
lookup(struct flowtab *t, const struct ft_key *k)
{
	struct ft_flow *f;

	for (f = *bucket(t, k); f != NULL; f = f->hnext)
		if (memcmp(&f->key, k, sizeof(*k)) == 0)
			return f;
	return NULL;
}

/* Client and server as seen from the key: fills the record's header. */
static void
set_roles(struct ft_flow *f, int client_side)
{
	struct flowrec *r = &f->rec;

	f->client_side = (uint8_t)client_side;
	memcpy(r->client_addr, f->key.addr[client_side], 16);
	memcpy(r->server_addr, f->key.addr[!client_side], 16);
	r->client_port = f->key.port[client_side];
	r->server_port = f->key.port[!client_side];
	r->l7 = flowrec_guess_l7(r->proto, r->client_port, r->server_port);
}

static void
swap_roles(struct flowtab *t, struct ft_flow *f)
{
	struct flowrec *r = &f->rec;
	uint64_t x;
	uint8_t y;

	set_roles(f, !f->client_side);
	x = r->pkts[0]; r->pkts[0] = r->pkts[1]; r->pkts[1] = x;
	x = r->bytes[0]; r->bytes[0] = r->bytes[1]; r->bytes[1] = x;
	x = r->frame_bytes[0];
	r->frame_bytes[0] = r->frame_bytes[1];
	r->frame_bytes[1] = x;
	y = r->client_ttl; r->client_ttl = r->server_ttl; r->server_ttl = y;
	f->fins = (uint8_t)((f->fins & 1) << 1 | (f->fins & 2) >> 1);
	for (uint32_t i = 0; i < r->npkt; i++)
		r->pkt[i].dir ^= 1;
	t->st.swapped++;
}

static struct ft_flow *
create(struct flowtab *t, const struct ft_key *k, int client_side,
    uint64_t ts)
{
	struct ft_flow *f, **n;

	if (t->nlive + 1 > (uint64_t)t->nbuckets && grow_buckets(t) < 0)
		return NULL;
	if (t->nlive == t->live_cap) {
		t->live_cap = t->live_cap ? t->live_cap * 2 : 1024;
		n = realloc(t->live, t->live_cap * sizeof(*n));
		if (n == NULL)
			return NULL;
		t->live = n;
	}
	if ((f = t->free) != NULL)
		t->free = f->hnext;
	else if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	memset(f, 0, sizeof(*f));
	f->key = *k;
	flowrec_init(&f->rec);
	f->rec.family = k->family;
	f->rec.proto = k->proto;
	f->rec.start_ns = f->rec.end_ns = ts;
	set_roles(f, client_side);
	f->hnext = *bucket(t, k);
	*bucket(t, k) = f;
	list_add(&t->open, f);
	f->heap_ix = (uint32_t)t->nlive;
	t->live[t->nlive++] = f;
	live_up(t, f->heap_ix);
	if (t->nlive > t->st.live_max)
		t->st.live_max = t->nlive;
	return f;
}

static int
add_pkt_data(struct ft_flow *f, uint64_t ts, int dir,
    const struct capture_ip *ip, const uint8_t *frame)
{
	struct flowrec *r = &f->rec;
	struct flowrec_pkt *p;
	uint32_t ncap;
	void *n;

	if (r->npkt == f->pkt_cap) {
		ncap = f->pkt_cap ? f->pkt_cap * 2 : 8;
		if ((n = realloc(r->pkt, ncap * sizeof(*r->pkt))) == NULL)
			return -ENOMEM;
		r->pkt = n;
		f->pkt_cap = ncap;
	}
	if (ip->payload_cap > f->pay_cap - r->payload_len) {
		ncap = f->pay_cap ? f->pay_cap : 256;
		while (ncap - r->payload_len < ip->payload_cap)
			ncap *= 2;
		if ((n = realloc(r->payload, ncap)) == NULL)
			return -ENOMEM;
		r->payload = n;
		f->pay_cap = ncap;
	}
	p = &r->pkt[r->npkt++];
	p->ts_ns = ts;
	p->size = ip->payload_len;
	p->caplen = ip->payload_cap;
	p->payload_off = r->payload_len;
	p->dir = (uint8_t)dir;
	p->tcp_flags = ip->tcp_flags;
	if (ip->payload_cap > 0)
		memcpy(r->payload + r->payload_len, frame + ip->payload_off,
		    ip->payload_cap);
	r->payload_len += ip->payload_cap;
	return 0;
}

static void
update_tcp(struct flowtab *t, struct ft_flow *f, int dir, uint8_t fl)
{
	if (fl & TCPF_FIN)
		f->fins |= (uint8_t)(1u << dir);
	if (f->closed)
		return;
	if ((fl & TCPF_RST) || f->fins == 3) {
		f->closed = true;
		f->rec.end = fl & TCPF_RST ? FLOWREC_END_RST :
		    FLOWREC_END_FIN;
		list_del(&t->open, f);
		list_add(&t->closed, f);
	}
}

/* Finds or starts the flow of a packet; NULL only when memory runs out. */
static struct ft_flow *
flow_for(struct flowtab *t, uint64_t ts, const struct capture_ip *ip,
    int *dir)
{
	bool tcp = ip->proto == 6;
	bool syn = tcp && (ip->tcp_flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN;
	bool synack = tcp && (ip->tcp_flags & (TCPF_SYN | TCPF_ACK)) ==
	    (TCPF_SYN | TCPF_ACK);
	struct ft_flow *f;
	struct ft_key k;
	int side, client;

	make_key(&k, ip, &side);
	f = lookup(t, &k);
	client = side;
	if (f != NULL) {
		client = f->client_side;
		if ((f->closed && syn) || (t->conf.active_ns &&
		    ts - f->rec.start_ns >= t->conf.active_ns &&
		    ts > f->rec.start_ns)) {
			if (finish(t, f, f->closed ? f->rec.end :
			    FLOWREC_END_ACTIVE) < 0)
				return NULL;
			f = NULL;
			if (syn)
				client = side;
		}
	} else if (synack) {
		client = !side;
	}
	if (f == NULL && (f = create(t, &k, client, ts)) == NULL)
		return NULL;
	if (syn) {
		if (side != f->client_side && !f->syn_known)
			swap_roles(t, f);
		f->syn_known = true;
	}
	*dir = side == f->client_side ? 0 : 1;
	return f;
}

int
flowtab_add(struct flowtab *t, uint64_t ts, const struct capture_ip *ip,
    uint32_t frame_len, const uint8_t *frame)
{
	struct ft_flow *f;
	struct flowrec *r;
	int dir, rc;

	if (t->err)
		return t->err;
	if (ts > t->now)
		t->now = ts;
	if ((rc = expire(t)) < 0 || (f = flow_for(t, ts, ip, &dir)) == NULL)
		return t->err = rc < 0 ? rc : -ENOMEM;
	r = &f->rec;
	if (ts < r->start_ns) {
		r->start_ns = ts;
		live_up(t, f->heap_ix);
	}
	if (ts > r->end_ns)
		r->end_ns = ts;
	if (r->pkts[dir]++ == 0) {
		if (dir == 0)
			r->client_ttl = ip->ttl;
		else
			r->server_ttl = ip->ttl;
	}
	r->bytes[dir] += ip->payload_len;
	r->frame_bytes[dir] += frame_len;
	r->tcp_flags |= ip->tcp_flags;
	if (t->conf.per_packet && add_pkt_data(f, ts, dir, ip, frame) < 0)
		return t->err = -ENOMEM;
	f->last_ns = ts > f->last_ns ? ts : f->last_ns;
	list_del(f->closed ? &t->closed : &t->open, f);
	list_add(f->closed ? &t->closed : &t->open, f);
	if (ip->proto == 6)
		update_tcp(t, f, dir, ip->tcp_flags);
	return pend_drain(t, watermark(t), false);
}

int
flowtab_finish(struct flowtab *t, enum flowrec_end why)
{
	struct ft_flow *f;
	int rc;

	while ((f = t->closed.head) != NULL)
		if ((rc = finish(t, f, f->rec.end)) < 0)
			return rc;
	while ((f = t->open.head) != NULL)
		if ((rc = finish(t, f, why)) < 0)
			return rc;
	if (t->err)
		return t->err;
	return pend_drain(t, UINT64_MAX, true);
}

struct flowtab *
flowtab_new(const struct flowtab_conf *conf, flowtab_emit_fn emit, void *arg)
{
	struct flowtab *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->conf = *conf;
	t->emit = emit;
	t->arg = arg;
	t->nbuckets = 1024;
	if ((t->buckets = calloc(t->nbuckets, sizeof(*t->buckets))) == NULL) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

void
flowtab_get_stats(const struct flowtab *t, struct flowtab_stats *s)
{
	*s = t->st;
}

uint64_t
flowtab_live(const struct flowtab *t)
{
	return t->nlive;
}

void
flowtab_free(struct flowtab *t)
{
	struct ft_flow *f, *n;

	if (t == NULL)
		return;
	for (struct ft_list *l = &t->open; l != NULL;
	    l = l == &t->open ? &t->closed : NULL)
		for (f = l->head; f != NULL; f = n) {
			n = f->next;
			free(f->rec.pkt);
			free(f->rec.payload);
			free(f);
		}
	for (f = t->free; f != NULL; f = n) {
		n = f->hnext;
		free(f);
	}
	for (uint64_t i = 0; i < t->npend; i++) {
		free(t->pend[i].pkt);
		free(t->pend[i].payload);
	}
	free(t->pend);
	free(t->live);
	free(t->buckets);
	free(t);
}
