/* Two players from one C program: connect with tokens, queue, play a short match, disconnect.
 *
 *   cc -std=c99 match.c -I ../include -L <dir of libarbiter_ffi> -larbiter_ffi -lm -o match
 *   ./match <token of player A> <token of player B>
 *
 * Tokens are base64 (`arbiter token --player-id N`, or POST /v1/tokens). Prints one summary line;
 * exits 0 when both players were matched, played and saw the match end. */
#define _POSIX_C_SOURCE 199309L
#include "arbiter.h"

#include <math.h>
#include <stdio.h>
#include <time.h>

#define PLAYERS 2
#define FRAME_SECONDS (1.0 / 60.0)
#define GIVE_UP_SECONDS 60.0

typedef struct Player {
    ArbiterHandle handle;
    uint64_t id;
    uint64_t match_id;
    int welcomed, matched, live, ended, disconnected;
    unsigned snapshots, shots_answered, shots_fired;
} Player;

static int check(int32_t result, const char *what) {
    if (result < 0) {
        fprintf(stderr, "%s: %s\n", what, arbiter_result_name(result));
    }
    return result;
}

/* Handles one event of one player. */
static void on_event(Player *player, const ArbiterEvent *event) {
    switch (event->kind) {
    case ARBITER_EVENT_KIND_WELCOME:
        player->welcomed = 1;
        player->id = event->body.welcome.player_id;
        check(arbiter_join_queue(player->handle, 0), "join_queue");
        break;
    case ARBITER_EVENT_KIND_MATCH_FOUND:
        player->matched = 1;
        player->match_id = event->body.match_found.match_id;
        printf("player %llu: match %llu on %s, team %u\n", (unsigned long long)player->id,
               (unsigned long long)player->match_id, event->body.match_found.map,
               event->body.match_found.team);
        break;
    case ARBITER_EVENT_KIND_MATCH_LIVE:
        player->live = 1;
        break;
    case ARBITER_EVENT_KIND_SNAPSHOT:
        player->snapshots++;
        break;
    case ARBITER_EVENT_KIND_SHOT_RESULT:
        player->shots_answered++;
        break;
    case ARBITER_EVENT_KIND_MATCH_ENDED: {
        const ArbiterMatchEnded *ended = &event->body.match_ended;
        size_t i;
        player->ended = 1;
        printf("player %llu: match %llu ended, winner %d, %u:%u\n", (unsigned long long)player->id,
               (unsigned long long)ended->match_id, ended->winning_team, ended->score_0,
               ended->score_1);
        for (i = 0; i < ended->scoreboard_count; i++) {
            printf("  %llu team %u kills %u deaths %u rating %d -> %d\n",
                   (unsigned long long)ended->scoreboard[i].player_id, ended->scoreboard[i].team,
                   ended->scoreboard[i].kills, ended->scoreboard[i].deaths,
                   ended->scoreboard[i].rating_before, ended->scoreboard[i].rating_after);
        }
        break;
    }
    case ARBITER_EVENT_KIND_KICKED:
        fprintf(stderr, "player %llu kicked: %s %s\n", (unsigned long long)player->id,
                event->body.kicked.reason, event->body.kicked.detail);
        break;
    case ARBITER_EVENT_KIND_DISCONNECTED:
        player->disconnected = 1;
        break;
    default:
        break;
    }
}

/* One frame of one player: input and, now and then, a shot straight ahead. */
static void play(Player *player, unsigned frame) {
    ArbiterStats stats;
    ArbiterInput input;
    if (!player->live || player->ended || check(arbiter_stats(player->handle, &stats), "stats") < 0) {
        return;
    }
    input.tick = stats.server_tick + 1;
    input.move_x = (float)sin(frame / 30.0);
    input.move_y = 0.5f;
    input.yaw = (float)(frame % 628) / 100.0f;
    input.pitch = 0.0f;
    input.buttons = 0;
    check(arbiter_send_input(player->handle, &input), "send_input");
    if (frame % 30 == 0) {
        check(arbiter_fire(player->handle, stats.server_tick, input.yaw, 0.0f, 0), "fire");
        player->shots_fired++;
    }
}

static void sleep_frame(void) {
    struct timespec frame = {0, (long)(FRAME_SECONDS * 1e9)};
    nanosleep(&frame, NULL);
}

int main(int argc, char **argv) {
    Player players[PLAYERS] = {{0}};
    ArbiterEvent event;
    unsigned frame;
    int i, all_ended = 0, all_gone = 0;

    if (argc != 1 + PLAYERS) {
        fprintf(stderr, "usage: %s <token A> <token B>\n", argv[0]);
        return 2;
    }
    if (arbiter_abi_version() != ARBITER_ABI_VERSION) {
        fprintf(stderr, "library ABI %u, header ABI %u\n", arbiter_abi_version(), ARBITER_ABI_VERSION);
        return 2;
    }
    for (i = 0; i < PLAYERS; i++) {
        if (check(arbiter_connect(argv[1 + i], NULL, &players[i].handle), "connect") < 0) {
            return 1;
        }
    }
    for (frame = 0; frame < GIVE_UP_SECONDS / FRAME_SECONDS && !all_gone; frame++) {
        all_gone = 1;
        for (i = 0; i < PLAYERS; i++) {
            Player *player = &players[i];
            int32_t updated = arbiter_update(player->handle, FRAME_SECONDS);
            if (updated < 0 && updated != ARBITER_RESULT_DISCONNECTED) {
                check(updated, "update");
            }
            while (arbiter_poll(player->handle, &event) == ARBITER_RESULT_OK) {
                on_event(player, &event);
            }
            play(player, frame);
            all_gone = all_gone && player->disconnected;
        }
        if (!all_ended && players[0].ended && players[1].ended) {
            all_ended = 1;
            for (i = 0; i < PLAYERS; i++) {
                check(arbiter_disconnect(players[i].handle), "disconnect");
            }
        }
        sleep_frame();
    }
    printf("summary");
    for (i = 0; i < PLAYERS; i++) {
        printf(" player=%llu welcomed=%d matched=%d live=%d snapshots=%u shots=%u/%u ended=%d "
               "disconnected=%d",
               (unsigned long long)players[i].id, players[i].welcomed, players[i].matched,
               players[i].live, players[i].snapshots, players[i].shots_answered,
               players[i].shots_fired, players[i].ended, players[i].disconnected);
    }
    printf("\n");
    for (i = 0; i < PLAYERS; i++) {
        check(arbiter_free(players[i].handle), "free");
    }
    /* A second free is refused, not undefined behaviour. */
    if (arbiter_free(players[0].handle) != ARBITER_RESULT_INVALID_HANDLE) {
        fprintf(stderr, "a double free was not refused\n");
        return 1;
    }
    return all_gone && players[0].matched && players[1].matched && players[0].snapshots > 0 ? 0 : 1;
}
